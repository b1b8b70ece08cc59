import { isFloat, type Attrs } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";

/** `fill`: the value is converted by the cast rule (so 300 saturates in int8, NaN stays NaN in floats). */
export function fillCases({ dtype }: CaseContext): ConformanceCase[] {
  const values = isFloat(dtype) ? [1.5, -0, NaN, -Infinity, 1e-40, 70000] : dtype === "bool" ? [1, 0] : [7, -3, 300, -1];
  const cases: ConformanceCase[] = values.map((value) => ({ name: `value ${value} [3, 4]`, inputs: [], attrs: { shape: [3, 4], dtype, value } }));
  cases.push(
    { name: "empty [0, 5]", inputs: [], attrs: { shape: [0, 5], dtype, value: 1 } },
    { name: "scalar []", inputs: [], attrs: { shape: [], dtype, value: 1 } },
    { name: "large [256, 256]", inputs: [], attrs: { shape: [256, 256], dtype, value: 2 } },
  );
  return cases;
}

/**
 * Random fills follow the HAL's counter-based stream (hal/src/random.ts), so a device must produce
 * the same numbers; only float outputs are tested.
 */
export function randomCases({ op, dtype }: CaseContext): ConformanceCase[] {
  if (!isFloat(dtype)) return [];
  const params: Attrs = op.name === "randomUniform" ? { low: -2, high: 3 } : { mean: 1, std: 2 };
  return [
    { name: "seed 7 [1000]", inputs: [], attrs: { shape: [1000], dtype, seed: 7, ...params } },
    { name: "seed 123456789 [3, 5]", inputs: [], attrs: { shape: [3, 5], dtype, seed: 123456789, ...params } },
    { name: "defaults [64]", inputs: [], attrs: { shape: [64], dtype, seed: 1 } },
    { name: "empty [0]", inputs: [], attrs: { shape: [0], dtype, seed: 3, ...params } },
    { name: "large [256, 256]", inputs: [], attrs: { shape: [256, 256], dtype, seed: 11, ...params } },
  ];
}
