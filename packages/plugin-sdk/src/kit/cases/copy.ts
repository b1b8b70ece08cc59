import { contiguousStrides, sizeOf } from "@polychip/hal";
import type { CaseContext, ConformanceCase, OutputLayout } from "./types.ts";
import { broadcastRow, contiguous, edgeValues, random, stepped, transposed, uniformValues } from "./values.ts";

/** A destination that is every other element of a larger buffer, starting at element 1. */
function steppedDestination(shape: readonly number[], fill: number): OutputLayout {
  const r = shape.length;
  const physical = r === 0 ? [2] : [...shape.slice(0, r - 1), shape[r - 1]! * 2];
  const pStrides = contiguousStrides(physical);
  return { strides: r === 0 ? [] : [...pStrides.slice(0, r - 1), 2], offset: 1, storageLength: sizeOf(physical) + 1, fill };
}

/** `copy`: any strided source into a contiguous or strided destination; bytes outside the destination must survive. */
export function copyCases({ dtype }: CaseContext): ConformanceCase[] {
  const rnd = (seed: number, shape: number[]) => random(seed, dtype, shape);
  const edges = edgeValues(dtype);
  const fill = dtype === "bool" ? 1 : 5;
  return [
    { name: "contiguous [3, 4]", inputs: [rnd(61, [3, 4])], attrs: {} },
    { name: `edge values [${edges.length}]`, inputs: [contiguous(dtype, [edges.length], edges)], attrs: {} },
    { name: "empty [0, 3]", inputs: [rnd(62, [0, 3])], attrs: {} },
    { name: "scalar []", inputs: [rnd(63, [])], attrs: {} },
    { name: "transposed source [4, 6]", inputs: [transposed(rnd(64, [4, 6]))], attrs: {} },
    { name: "stepped source [3, 5]", inputs: [stepped(rnd(65, [3, 5]))], attrs: {} },
    { name: "broadcast source [3, 4] (stride 0)", inputs: [broadcastRow(dtype, [3, 4], uniformValues(66, 4, -3, 3, dtype))], attrs: {} },
    { name: "into a strided destination [3, 4]", inputs: [rnd(67, [3, 4])], attrs: {}, output: steppedDestination([3, 4], fill) },
    {
      name: "transposed source into a strided destination [2, 3, 4]",
      inputs: [transposed(rnd(68, [2, 3, 4]))],
      attrs: {},
      output: steppedDestination([2, 3, 4], fill),
    },
    { name: "large [256, 256]", inputs: [rnd(69, [256, 256])], attrs: {} },
  ];
}
