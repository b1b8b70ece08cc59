import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, edgeValues, random, stepped, transposed } from "./values.ts";

/** `where(cond, a, b)`: the row's dtype is the condition's (bool); the value dtypes range over the device's dtypes. */
export function whereCases({ deviceDTypes }: CaseContext): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const v of deviceDTypes) {
    const cond = (seed: number, shape: number[]) => random(seed, "bool", shape);
    const val = (seed: number, shape: number[]) => random(seed, v, shape);
    const edges = edgeValues(v);
    cases.push(
      { name: `${v}: same shape [3, 4]`, inputs: [cond(31, [3, 4]), val(32, [3, 4]), val(33, [3, 4])], attrs: {} },
      { name: `${v}: broadcast [3, 1], [1, 4], []`, inputs: [cond(34, [3, 1]), val(35, [1, 4]), val(36, [])], attrs: {} },
      { name: `${v}: empty [0, 2]`, inputs: [cond(37, [0, 2]), val(38, [0, 2]), val(39, [1, 2])], attrs: {} },
      {
        name: `${v}: edge values [${edges.length}]`,
        inputs: [random(40, "bool", [edges.length]), contiguous(v, [edges.length], edges), contiguous(v, [edges.length], [...edges].reverse())],
        attrs: {},
      },
      { name: `${v}: strided views [4, 3]`, inputs: [transposed(cond(41, [4, 3])), stepped(val(42, [4, 3])), transposed(val(43, [4, 3]))], attrs: {} },
    );
  }
  cases.push({
    name: "large [128, 256]",
    inputs: [random(44, "bool", [128, 256]), random(45, deviceDTypes[0]!, [128, 256]), random(46, deviceDTypes[0]!, [256])],
    attrs: {},
  });
  return cases;
}
