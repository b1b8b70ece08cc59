/**
 * dynamicQuantizeLinear (HAL 1.9): ONNX DynamicQuantizeLinear, a float32 tensor to uint8 with the
 * scale and zero point taken from its own range, in float32 arithmetic: lo = min(min(x), 0),
 * hi = max(max(x), 0), scale = (hi − lo) / 255, zeroPoint = saturate(round(−lo / scale)),
 * y = saturate(round(x / scale) + zeroPoint), rounding half to even and saturating to [0, 255].
 * A device can take the range and write y in two passes over x in one kernel; the reference
 * decomposition is those steps as primitives (the reductions, then elementwise ops and casts).
 */
import { DTypeError } from "../errors.ts";
import { describeTensors } from "../shape.ts";
import type { DecompositionContext, OpDef, TensorMeta } from "./types.ts";

export const dynamicQuantizeLinear: OpDef = {
  name: "dynamicQuantizeLinear",
  kind: "composite",
  family: "nn",
  inputs: [1, 1],
  doc: "ONNX DynamicQuantizeLinear: x (float32) → y (uint8, x's shape), scale (float32 []), zeroPoint (uint8 []); scale = (max(max(x), 0) − min(min(x), 0)) / 255, zeroPoint = saturate(round(−min / scale)), y = saturate(round(x / scale) + zeroPoint), float32 arithmetic, round half to even",
  infer(ins) {
    const [x] = ins as [TensorMeta];
    if (x.dtype !== "float32") throw new DTypeError(`dynamicQuantizeLinear: x must be float32, got ${describeTensors(ins)}`);
    return [
      { shape: [...x.shape], dtype: "uint8" },
      { shape: [], dtype: "float32" },
      { shape: [], dtype: "uint8" },
    ];
  },
  decompose<V>(ctx: DecompositionContext<V>, ins: readonly V[]): V[] {
    const [x] = ins as [V];
    dynamicQuantizeLinear.infer([ctx.meta(x)], {});
    const scalar = (v: number) => ctx.constant([v], [], "float32");
    const axes = [...ctx.meta(x).shape.keys()];
    const whole = (op: string) => (axes.length ? ctx.call(op, [x], { axes, keepDims: false }) : x);
    const lo = ctx.call("minimum", [whole("reduceMin"), scalar(0)]);
    const hi = ctx.call("maximum", [whole("reduceMax"), scalar(0)]);
    const scale = ctx.call("div", [ctx.call("sub", [hi, lo]), scalar(255)]);
    const saturate = (v: V) => ctx.call("minimum", [ctx.call("maximum", [v, scalar(0)]), scalar(255)]);
    const zeroPoint = saturate(ctx.call("round", [ctx.call("div", [ctx.call("neg", [lo]), scale])]));
    const y = saturate(ctx.call("add", [ctx.call("round", [ctx.call("div", [x, scale])]), zeroPoint]));
    const uint8 = (v: V) => ctx.call("cast", [v], { to: "uint8" });
    return [uint8(y), scale, uint8(zeroPoint)];
  },
};
