import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, random, transposed, uniformValues } from "./values.ts";

const idx = (shape: number[], values: number[]) => contiguous("int32", shape, values);

/** gather (numpy.take): axes, multi-dim and empty index tensors, repeated indices. */
export function gatherCases({ dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  const x = random(121, dtype, [5, 3]);
  const cases: ConformanceCase[] = [
    { name: "axis 0, idx [3]", inputs: [x, idx([3], [4, 0, 4])], attrs: { axis: 0 } },
    { name: "axis 1, idx [2, 2]", inputs: [x, idx([2, 2], [2, 0, 1, 1])], attrs: { axis: 1 } },
    { name: "axis -1 on [2, 3, 4], idx []", inputs: [random(122, dtype, [2, 3, 4]), idx([], [3])], attrs: { axis: -1 } },
    { name: "empty idx [0]", inputs: [x, idx([0], [])], attrs: { axis: 0 } },
    { name: "large [1000, 64], idx [500]", inputs: [random(123, dtype, [1000, 64]), idx([500], uniformValues(124, 500, 0, 999, "int32"))], attrs: { axis: 0 } },
  ];
  if (stridedInputs) cases.push({ name: "transposed x [3, 5]", inputs: [transposed(random(125, dtype, [3, 5])), idx([2], [4, 1])], attrs: { axis: 1 } });
  return cases;
}

/** gatherElements (torch.gather) along each axis. */
export function gatherElementsCases({ dtype }: CaseContext): ConformanceCase[] {
  const x = random(131, dtype, [3, 4]);
  return [
    { name: "axis 0 [3, 4], idx [2, 4]", inputs: [x, idx([2, 4], [2, 0, 1, 2, 0, 0, 2, 1])], attrs: { axis: 0 } },
    { name: "axis 1 [3, 4], idx [3, 2]", inputs: [x, idx([3, 2], [3, 0, 1, 1, 0, 2])], attrs: { axis: 1 } },
    { name: "empty idx [0, 4]", inputs: [x, idx([0, 4], [])], attrs: { axis: 0 } },
    {
      name: "large [256, 256] axis 1",
      inputs: [random(132, dtype, [256, 256]), idx([256, 128], uniformValues(133, 256 * 128, 0, 255, "int32"))],
      attrs: { axis: 1 },
    },
  ];
}

/** scatterAdd (torch.scatter_add): repeated indices must accumulate. */
export function scatterAddCases({ dtype }: CaseContext): ConformanceCase[] {
  if (dtype === "bool") return [];
  const x = random(141, dtype, [3, 4]);
  return [
    { name: "axis 0, repeated indices", inputs: [x, idx([2, 4], [0, 0, 2, 1, 0, 2, 2, 1]), random(142, dtype, [2, 4])], attrs: { axis: 0 } },
    { name: "axis 1, src larger than idx", inputs: [x, idx([3, 2], [3, 3, 0, 1, 2, 2]), random(143, dtype, [3, 3])], attrs: { axis: 1 } },
    { name: "empty idx [0, 4]", inputs: [x, idx([0, 4], []), random(144, dtype, [0, 4])], attrs: { axis: 0 } },
    {
      name: "large [256, 64] axis 0",
      inputs: [random(145, dtype, [256, 64]), idx([512, 64], uniformValues(146, 512 * 64, 0, 255, "int32")), random(147, dtype, [512, 64])],
      attrs: { axis: 0 },
      accumulation: 8,
    },
  ];
}
