import type { CaseContext, ConformanceCase } from "./types.ts";
import { edgeValues, contiguous, random } from "./values.ts";

/** pad: constant (with a value), reflect, edge, and negative pads that crop. */
export function padCases({ dtype }: CaseContext): ConformanceCase[] {
  const x = random(601, dtype, [3, 4]);
  const value = dtype === "bool" ? 1 : 2;
  return [
    { name: "constant [3, 4] pads [1, 2, 0, 1]", inputs: [x], attrs: { pads: [1, 2, 0, 1], mode: "constant", value } },
    { name: "constant default value", inputs: [x], attrs: { pads: [0, 1, 1, 0] } },
    { name: "reflect [3, 4] pads [2, 1, 1, 3]", inputs: [x], attrs: { pads: [2, 1, 1, 3], mode: "reflect" } },
    { name: "edge [3, 4] pads [2, 2, 2, 2]", inputs: [x], attrs: { pads: [2, 2, 2, 2], mode: "edge" } },
    { name: "crop [3, 4] pads [-1, 0, 0, -2]", inputs: [x], attrs: { pads: [-1, 0, 0, -2] } },
    { name: "empty [0, 3] pads [1, 0, 1, 0]", inputs: [random(602, dtype, [0, 3])], attrs: { pads: [1, 0, 1, 0] } },
    { name: "large [2, 8, 64, 64] spatial pads 1", inputs: [random(603, dtype, [2, 8, 64, 64])], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1] } },
  ];
}

/** concat along each axis, with empty inputs and edge values. */
export function concatCases({ dtype }: CaseContext): ConformanceCase[] {
  const edges = edgeValues(dtype);
  return [
    { name: "axis 0: [2, 3] + [1, 3]", inputs: [random(611, dtype, [2, 3]), random(612, dtype, [1, 3])], attrs: { axis: 0 } },
    {
      name: "axis 1: [2, 3] + [2, 1] + [2, 2]",
      inputs: [random(613, dtype, [2, 3]), random(614, dtype, [2, 1]), random(615, dtype, [2, 2])],
      attrs: { axis: 1 },
    },
    { name: "axis -1 with an empty input", inputs: [random(616, dtype, [2, 0]), random(617, dtype, [2, 3])], attrs: { axis: -1 } },
    { name: "single input", inputs: [random(618, dtype, [4])], attrs: { axis: 0 } },
    {
      name: `edge values [${edges.length}] + [${edges.length}]`,
      inputs: [contiguous(dtype, [edges.length], edges), contiguous(dtype, [edges.length], edges)],
      attrs: { axis: 0 },
    },
    { name: "large [64, 512] + [64, 512] axis 1", inputs: [random(619, dtype, [64, 512]), random(620, dtype, [64, 512])], attrs: { axis: 1 } },
  ];
}
