import { isFloat, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase, TensorInput } from "./types.ts";
import { broadcastRow, contiguous, defaultRange, edgePairs, random, stepped, transposed, uniformValues } from "./values.ts";

/** Input ranges per op: exponents stay small so integer pow cannot overflow, divisors include 0 for integers. */
function ranges(op: string, dtype: DType): [[number, number], [number, number]] {
  const base = defaultRange(dtype);
  if (op === "pow") {
    if (isFloat(dtype))
      return [
        [0.1, 3],
        [-2, 3],
      ];
    if (dtype === "uint8")
      return [
        [0, 3],
        [0, 5],
      ];
    return [
      [-3, 3],
      [0, 4],
    ];
  }
  if (op === "div" || op === "mod" || op === "fmod") {
    if (isFloat(dtype))
      return [
        [-5, 5],
        [0.5, 3],
      ];
    return [base, dtype === "uint8" ? [0, 7] : [-7, 7]];
  }
  if (dtype === "int8" || dtype === "uint8") return [dtype === "int8" ? [-128, 127] : [0, 255], dtype === "int8" ? [-128, 127] : [0, 255]];
  return [base, base];
}

/** Binary arithmetic, comparison and logical ops: equal shapes, broadcasting, scalars, empty, every edge pair, strided views. */
export function binaryCases({ op, dtype }: CaseContext): ConformanceCase[] {
  const [ra, rb] = ranges(op.name, dtype);
  const a = (seed: number, shape: number[]) => random(seed, dtype, shape, ra);
  const b = (seed: number, shape: number[]) => random(seed, dtype, shape, rb);
  const [ea, eb] = edgePairs(dtype);
  const pair = (name: string, x: TensorInput, y: TensorInput): ConformanceCase => ({ name, inputs: [x, y], attrs: {} });
  const cases = [
    pair("same shape [3, 4]", a(11, [3, 4]), b(12, [3, 4])),
    pair("broadcast [3, 1] with [1, 4]", a(13, [3, 1]), b(14, [1, 4])),
    pair("broadcast [2, 3, 4] with [4]", a(15, [2, 3, 4]), b(16, [4])),
    pair("scalar [] with [2, 3]", a(17, []), b(18, [2, 3])),
    pair("empty [0, 4] with [1, 4]", a(19, [0, 4]), b(20, [1, 4])),
    pair("size-1 [1] with [1]", a(21, [1]), b(22, [1])),
    pair(`edge pairs [${ea.length}]`, contiguous(dtype, [ea.length], ea), contiguous(dtype, [eb.length], eb)),
    pair("transposed [4, 3] with stepped [4, 3]", transposed(a(23, [4, 3])), stepped(b(24, [4, 3]))),
    pair("stride-0 view [3, 5] with [3, 5]", broadcastRow(dtype, [3, 5], uniformValues(25, 5, ra[0], ra[1], dtype)), b(26, [3, 5])),
    pair("large [256, 256] with [256]", a(27, [256, 256]), b(28, [256])),
  ];
  if (dtype === "bool") {
    // Logical and equality ops: every combination of truth values, broadcast.
    cases.push(pair("truth table [2, 1] with [1, 2]", contiguous("bool", [2, 1], [0, 1]), contiguous("bool", [1, 2], [0, 1])));
  }
  return cases;
}
