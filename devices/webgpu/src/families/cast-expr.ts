import type { DType } from "@polychip/hal";
import type { Scalar } from "../wgsl/dtypes.ts";

/**
 * The HAL cast rule as a WGSL expression from a value of type `from` to dtype `to` (see the CPU
 * device's convert.ts): float→int truncates with NaN→0, int8/uint8 saturate, int32 wraps modulo
 * 2^32, bool is x != 0 (so NaN is true). float16 rounding happens when the value is stored.
 */
export function castExpr(from: Scalar, to: DType, x: string): string {
  switch (to) {
    case "float32":
    case "float16":
      return from === "f32" ? x : from === "i32" ? `f32(${x})` : `select(0.0f, 1.0f, ${x})`;
    case "int32":
      return from === "f32" ? `f32_to_i32_wrap(${x})` : from === "i32" ? x : `select(0i, 1i, ${x})`;
    case "int8":
    case "uint8": {
      const [lo, hi] = to === "int8" ? [-128, 127] : [0, 255];
      if (from === "f32") return `select(i32(clamp(${x}, ${lo}.0f, ${hi}.0f)), 0i, is_nan(${x}))`;
      return from === "i32" ? `clamp(${x}, ${lo}i, ${hi}i)` : `select(0i, 1i, ${x})`;
    }
    case "bool":
      return from === "f32" ? `(is_nan(${x}) || ${x} != 0.0f)` : from === "i32" ? `${x} != 0i` : x;
  }
}

/** The same rule on the host, for scalar attributes (fill values). */
export function castHost(value: number, to: DType): number {
  switch (to) {
    case "float32":
    case "float16":
      return Math.fround(value);
    case "int32":
      return value | 0;
    case "int8":
      return value !== value ? 0 : Math.trunc(Math.min(127, Math.max(-128, value)));
    case "uint8":
      return value !== value ? 0 : Math.trunc(Math.min(255, Math.max(0, value)));
    case "bool":
      return value !== 0 ? 1 : 0;
  }
}
