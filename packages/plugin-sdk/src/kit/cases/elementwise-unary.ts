import { isFloat, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";
import { broadcastRow, contiguous, defaultRange, edgeValues, random, stepped, transposed, uniformValues } from "./values.ts";

/** Where an op's random inputs come from, so results stay in a range where tolerances mean something. */
function rangeFor(op: string, dtype: DType): [number, number] {
  if (!isFloat(dtype)) return dtype === "int8" ? [-128, 127] : dtype === "uint8" ? [0, 255] : defaultRange(dtype);
  switch (op) {
    case "log":
    case "sqrt":
    case "rsqrt":
      return [0.05, 8];
    case "reciprocal":
      return [0.25, 4];
    case "exp":
      return [-6, 6];
    case "tanh":
    case "sigmoid":
      return [-8, 8];
    default:
      return [-4, 4];
  }
}

/** Unary elementwise ops (and isNaN, logicalNot): every shape class, every edge value, strided and broadcast views. */
export function unaryCases({ op, dtype }: CaseContext): ConformanceCase[] {
  const range = rangeFor(op.name, dtype);
  const rnd = (seed: number, shape: number[]) => random(seed, dtype, shape, range);
  const edges = edgeValues(dtype);
  const cases: ConformanceCase[] = [
    { name: "empty [2, 0, 3]", inputs: [rnd(1, [2, 0, 3])], attrs: {} },
    { name: "scalar []", inputs: [rnd(2, [])], attrs: {} },
    { name: "size-1 [1]", inputs: [rnd(3, [1])], attrs: {} },
    { name: "random [3, 5]", inputs: [rnd(4, [3, 5])], attrs: {} },
    { name: `edge values [${edges.length}]`, inputs: [contiguous(dtype, [edges.length], edges)], attrs: {} },
    { name: "transposed view [5, 3]", inputs: [transposed(rnd(5, [5, 3]))], attrs: {} },
    { name: "stepped view [4, 6] (stride 2, offset 1)", inputs: [stepped(rnd(6, [4, 6]))], attrs: {} },
    { name: "broadcast view [4, 5] (stride 0)", inputs: [broadcastRow(dtype, [4, 5], uniformValues(7, 5, range[0], range[1], dtype))], attrs: {} },
    { name: "large [256, 256]", inputs: [rnd(8, [256, 256])], attrs: {} },
  ];
  if (op.name === "round" || op.name === "floor" || op.name === "ceil") {
    const halves = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.49, 0.51];
    cases.push({ name: "halves [10]", inputs: [contiguous(dtype, [10], halves)], attrs: {} });
  }
  return cases;
}
