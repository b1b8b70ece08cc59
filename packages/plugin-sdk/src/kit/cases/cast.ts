import { isFloat, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, edgeValues, random, representable, stepped, transposed } from "./values.ts";

/** Values that leave the target's range (saturation, truncation toward zero, NaN), representable in the source. */
function outOfRange(from: DType): number[] {
  if (isFloat(from)) return [300.7, -300.2, 255.9, 256.5, -0.9, 0.9, 127.5, -128.7, 1e10, -1e10, 2.5, -2.5].map((v) => representable(v, from));
  if (from === "int32") return [300, -300, 256, 255, 128, -129, 70000, -70000];
  return edgeValues(from);
}

/** `cast` from the row's dtype to every dtype the device declares. */
export function castCases({ dtype, deviceDTypes }: CaseContext): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const to of deviceDTypes) {
    const attrs = { to };
    const edges = [...edgeValues(dtype), ...outOfRange(dtype)];
    cases.push(
      { name: `to ${to}: random [3, 4]`, inputs: [random(51, dtype, [3, 4], dtype === "bool" ? [0, 1] : [-50, 50])], attrs },
      { name: `to ${to}: edge and out-of-range values [${edges.length}]`, inputs: [contiguous(dtype, [edges.length], edges)], attrs },
      { name: `to ${to}: empty [0]`, inputs: [random(52, dtype, [0])], attrs },
      { name: `to ${to}: scalar []`, inputs: [random(53, dtype, [])], attrs },
      { name: `to ${to}: transposed view [3, 4]`, inputs: [transposed(random(54, dtype, [3, 4]))], attrs },
      { name: `to ${to}: stepped view [2, 5]`, inputs: [stepped(random(55, dtype, [2, 5]))], attrs },
    );
  }
  cases.push({ name: `to ${deviceDTypes[0]}: large [256, 256]`, inputs: [random(56, dtype, [256, 256])], attrs: { to: deviceDTypes[0]! } });
  return cases;
}
