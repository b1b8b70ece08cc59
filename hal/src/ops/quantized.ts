/**
 * Quantised ops (HAL 1.1): ONNX QuantizeLinear / DequantizeLinear / QLinearMatMul / QLinearConv
 * semantics, each with a reference decomposition (dequantize → float op → quantize), so a device
 * without integer kernels still runs an int8 model.
 */
import type { Attrs } from "../device.ts";
import type { DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { describeTensors, formatShape, normalizeAxis } from "../shape.ts";
import { boolAttr, numAttr } from "./attrs.ts";
import type { DecompositionContext, OpDef, TensorMeta } from "./types.ts";
import { conv2dGeometry } from "./window2d.ts";
import { integerMatmul } from "./integer-matmul.ts";
import { matmulDequantized } from "./matmul-dequantized.ts";
import { dynamicQuantizeLinear } from "./dynamic-quantize.ts";

const describe = describeTensors;
const QUANTIZED: readonly DType[] = ["int8", "uint8"];
const FLOATS: readonly DType[] = ["float32", "float16"];

const RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/** Scale/zero-point shape check: per-tensor ([] or [1]) or per-axis (1-D of x.shape[axis]). */
function checkQuantParams(op: string, x: TensorMeta, scale: TensorMeta, zeroPoint: TensorMeta | undefined, attrs: Attrs): void {
  if (!FLOATS.includes(scale.dtype)) throw new DTypeError(`${op}: scale must be float32 or float16, got ${describe([scale])}`);
  const n = scale.shape.reduce((a, b) => a * b, 1);
  if (n !== 1) {
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis", 1), x.shape.length);
    if (scale.shape.length !== 1 || scale.shape[0] !== x.shape[axis]) {
      throw new ShapeError(
        `${op}: scale must be per-tensor or 1-D of ${x.shape[axis]} (axis ${axis} of ${formatShape(x.shape)}), got ${formatShape(scale.shape)}`,
      );
    }
  }
  if (zeroPoint && (zeroPoint.shape.length !== scale.shape.length || zeroPoint.shape.some((d, i) => d !== scale.shape[i]))) {
    throw new ShapeError(`${op}: zeroPoint ${formatShape(zeroPoint.shape)} must have the shape of scale ${formatShape(scale.shape)}`);
  }
}

/** A per-axis parameter reshaped to broadcast against x ([C] → [1, C, 1, 1] for axis 1). */
function alongAxis<V>(ctx: DecompositionContext<V>, param: V, x: V, attrs: Attrs, op: string): V {
  const p = ctx.meta(param);
  const xs = ctx.meta(x).shape;
  if (p.shape.reduce((a, b) => a * b, 1) === 1) return ctx.reshape(param, []);
  const axis = normalizeAxis(op, numAttr(op, attrs, "axis", 1), xs.length);
  return ctx.reshape(
    param,
    xs.map((d, i) => (i === axis ? d : 1)),
  );
}

export const quantizeLinear: OpDef = {
  name: "quantizeLinear",
  kind: "composite",
  family: "nn",
  inputs: [2, 3],
  doc: "ONNX QuantizeLinear: y = saturate(roundHalfToEven(x / scale) + zeroPoint) in float32 arithmetic; inputs x (float), scale, zeroPoint (int8|uint8, optional); per-tensor or per-axis (attrs.axis, default 1); y has zeroPoint's dtype (attrs.dtype, default uint8, without one); NaN → 0",
  infer(ins, attrs) {
    const [x, scale, zp] = ins as [TensorMeta, TensorMeta, TensorMeta | undefined];
    if (!FLOATS.includes(x.dtype)) throw new DTypeError(`quantizeLinear: x must be float32 or float16, got ${describe(ins)}`);
    checkQuantParams("quantizeLinear", x, scale, zp, attrs);
    const dtype = (zp?.dtype ?? attrs.dtype ?? "uint8") as DType;
    if (!QUANTIZED.includes(dtype)) throw new DTypeError(`quantizeLinear: the output must be int8 or uint8, got ${dtype} (inputs ${describe(ins)})`);
    return [{ shape: x.shape, dtype }];
  },
  decompose(ctx, [x, scale, zp], attrs) {
    const [out] = quantizeLinear.infer([ctx.meta(x!), ctx.meta(scale!), ...(zp ? [ctx.meta(zp)] : [])], attrs);
    const [lo, hi] = RANGE[out!.dtype]!;
    const f = (v: typeof x) => ctx.call("cast", [v!], { to: "float32" });
    let q = ctx.call("round", [ctx.call("div", [f(x), f(alongAxis(ctx, scale!, x!, attrs, "quantizeLinear"))])]);
    if (zp) q = ctx.call("add", [q, f(alongAxis(ctx, zp, x!, attrs, "quantizeLinear"))]);
    q = ctx.call("minimum", [ctx.call("maximum", [q, ctx.constant([lo], [], "float32")]), ctx.constant([hi], [], "float32")]);
    return [ctx.call("cast", [q], { to: out!.dtype })];
  },
};

export const dequantizeLinear: OpDef = {
  name: "dequantizeLinear",
  kind: "composite",
  family: "nn",
  inputs: [2, 3],
  doc: "ONNX DequantizeLinear: y = (float32(x) - float32(zeroPoint)) * scale in float32 arithmetic; x int8|uint8|int32 (int32 without a zero point), per-tensor or per-axis (attrs.axis, default 1); y has scale's dtype",
  infer(ins, attrs) {
    const [x, scale, zp] = ins as [TensorMeta, TensorMeta, TensorMeta | undefined];
    if (![...QUANTIZED, "int32"].includes(x.dtype)) throw new DTypeError(`dequantizeLinear: x must be int8, uint8 or int32, got ${describe(ins)}`);
    if (zp && zp.dtype !== x.dtype) throw new DTypeError(`dequantizeLinear: zeroPoint must have x's dtype, got ${describe(ins)}`);
    checkQuantParams("dequantizeLinear", x, scale, zp, attrs);
    return [{ shape: x.shape, dtype: scale.dtype }];
  },
  decompose(ctx, [x, scale, zp], attrs) {
    const f = (v: typeof x) => ctx.call("cast", [v!], { to: "float32" });
    let y = f(x);
    if (zp) y = ctx.call("sub", [y, f(alongAxis(ctx, zp, x!, attrs, "dequantizeLinear"))]);
    y = ctx.call("mul", [y, f(alongAxis(ctx, scale!, x!, attrs, "dequantizeLinear"))]);
    const dtype = ctx.meta(scale!).dtype;
    return [dtype === "float32" ? y : ctx.call("cast", [y], { to: dtype })];
  },
};

/** The integer-input check shared by the quantized ops: int8/uint8 data, float scales, zero points of the data's dtype. */
function checkQuantized(op: string, ins: readonly TensorMeta[], data: readonly number[], zeroPoints: readonly number[]): void {
  for (const i of data) if (!QUANTIZED.includes(ins[i]!.dtype)) throw new DTypeError(`${op}: input ${i} must be int8 or uint8, got ${describe(ins)}`);
  for (const i of zeroPoints)
    if (!QUANTIZED.includes(ins[i]!.dtype)) throw new DTypeError(`${op}: zero point ${i} must be int8 or uint8, got ${describe(ins)}`);
}

export const quantizedMatmul: OpDef = {
  name: "quantizedMatmul",
  kind: "composite",
  family: "nn",
  inputs: [8, 8],
  doc: "ONNX QLinearMatMul: inputs a, aScale, aZeroPoint, b, bScale (per-tensor or per-column), bZeroPoint, yScale, yZeroPoint; int32 accumulation of (a - aZero)(b - bZero), y = saturate(roundHalfToEven(acc · aScale·bScale/yScale) + yZero) with y's dtype = yZeroPoint's; attrs transposeA/B as matmul",
  infer(ins, attrs) {
    checkQuantized("quantizedMatmul", ins, [0, 3], [2, 5, 7]);
    const a = ins[0]!;
    const b = ins[3]!;
    const r = a.shape.length;
    if (r < 2 || b.shape.length !== r) throw new ShapeError(`quantizedMatmul: expects a and b of one rank >= 2, got ${describe(ins)}`);
    const ta = boolAttr(attrs, "transposeA");
    const tb = boolAttr(attrs, "transposeB");
    const m = a.shape[ta ? r - 1 : r - 2]!;
    const k = a.shape[ta ? r - 2 : r - 1]!;
    const kb = b.shape[tb ? r - 1 : r - 2]!;
    const n = b.shape[tb ? r - 2 : r - 1]!;
    if (k !== kb || a.shape.slice(0, r - 2).some((d, i) => d !== b.shape[i])) throw new ShapeError(`quantizedMatmul: shapes do not multiply: ${describe(ins)}`);
    return [{ shape: [...a.shape.slice(0, r - 2), m, n], dtype: ins[7]!.dtype }];
  },
  // Reference: dequantize, float32 matmul, quantize. Equal to the integer path up to one unit at rounding ties.
  decompose(ctx, ins, attrs) {
    const [a, sa, za, b, sb, zb, sy, zy] = ins;
    const rank = ctx.meta(b!).shape.length;
    const aF = dequantizeLinear.decompose!(ctx, [a!, sa!, za!], {})[0]!;
    const bF = dequantizeLinear.decompose!(ctx, [b!, sb!, zb!], { axis: rank - (boolAttr(attrs, "transposeB") ? 2 : 1) })[0]!;
    const yF = ctx.call("matmul", [aF, bF], { transposeA: boolAttr(attrs, "transposeA"), transposeB: boolAttr(attrs, "transposeB") });
    return quantizeLinear.decompose!(ctx, [yF, sy!, zy!], {});
  },
};

export const quantizedConv2d: OpDef = {
  name: "quantizedConv2d",
  kind: "composite",
  family: "nn",
  inputs: [8, 9],
  doc: 'ONNX QLinearConv: inputs x, xScale, xZeroPoint, w, wScale (per-tensor or per output channel), wZeroPoint, yScale, yZeroPoint, bias (int32, optional); attrs as conv2d plus activation ("relu" clamps at yZeroPoint); int32 accumulation, y = saturate(roundHalfToEven(acc · xScale·wScale[c]/yScale) + yZero)',
  infer(ins, attrs) {
    checkQuantized("quantizedConv2d", ins, [0, 3], [2, 5, 7]);
    const [x, , , w] = ins as TensorMeta[];
    const g = conv2dGeometry("quantizedConv2d", x!.shape, w!.shape, attrs);
    const bias = ins[8];
    if (bias && (bias.dtype !== "int32" || bias.shape.length !== 1 || bias.shape[0] !== g.OC))
      throw new ShapeError(`quantizedConv2d: bias must be int32[${g.OC}], got ${describe([bias])}`);
    return [{ shape: [g.N, g.OC, g.win.oh, g.win.ow], dtype: ins[7]!.dtype }];
  },
  // Reference: dequantize (bias with scale xScale·wScale), float32 conv2d, optional relu, quantize.
  decompose(ctx, ins, attrs) {
    const [x, sx, zx, w, sw, zw, sy, zy, bias] = ins;
    const xF = dequantizeLinear.decompose!(ctx, [x!, sx!, zx!], {})[0]!;
    const wF = dequantizeLinear.decompose!(ctx, [w!, sw!, zw!], { axis: 0 })[0]!;
    const convAttrs: Attrs = Object.fromEntries(Object.entries(attrs).filter(([k]) => k !== "activation"));
    const inputs: (typeof bias)[] = [xF, wF];
    if (bias) {
      const biasScale = ctx.call("mul", [ctx.call("cast", [sx!], { to: "float32" }), ctx.call("cast", [sw!], { to: "float32" })]);
      inputs.push(ctx.call("mul", [ctx.call("cast", [bias], { to: "float32" }), biasScale]));
    }
    let yF = ctx.call("conv2d", inputs, convAttrs);
    if (attrs.activation === "relu") yF = ctx.call("relu", [yF]);
    return quantizeLinear.decompose!(ctx, [yF, sy!, zy!], {});
  },
};

export const QUANTIZED_OPS: readonly OpDef[] = [
  quantizeLinear,
  dequantizeLinear,
  quantizedMatmul,
  quantizedConv2d,
  integerMatmul,
  matmulDequantized,
  dynamicQuantizeLinear,
];
