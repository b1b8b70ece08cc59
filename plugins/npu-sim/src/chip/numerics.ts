export { roundHalfToEven as roundHalfEven } from "@polychip/plugin-sdk";

/** Clamps into [lo, hi]; NaN maps to `nanTo` (hardware has no integer NaN). */
export function saturate(x: number, lo: number, hi: number, nanTo = 0): number {
  if (x !== x) return nanTo;
  return x < lo ? lo : x > hi ? hi : x;
}

export function integerRange(dtype: string): [number, number] {
  switch (dtype) {
    case "int8":
      return [-128, 127];
    case "uint8":
      return [0, 255];
    case "int32":
      return [-2147483648, 2147483647];
    default:
      throw new Error(`npu-sim: ${dtype} is not an integer dtype`);
  }
}
