import { DTypeError, ShapeError, type DType } from "@polychip/hal";
import { DataType } from "../../proto/types.ts";
import { onnxTypeName } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { axisOf, bin, castTo, input, optionalInput, output, scalarLike, un, type OpImporter } from "./helpers.ts";
import { integerConvOf } from "./integer-conv.ts";
import { integerMatmulOf } from "./integer-matmul.ts";
import { castToLowPrecision } from "./low-precision-cast.ts";
import { noteDequantizedWeight } from "./matmul-dequantized.ts";

/**
 * Linear (de)quantisation of QDQ and QOperator models, per tensor, per axis or in blocks along an
 * axis (opset 21's block_size), into uint8, int8, uint16 or int16 (the 16-bit types held in int32),
 * int4/uint4/int2/uint2 (held in int8/uint8, saturating at their own range) and float8/float4
 * (held in float32, rounded onto their grid as Cast does):
 * q = saturate(round(x / scale) + zero_point) with round half to even, x = (q − zero_point)·scale.
 * QLinearMatMul sums its integer products exactly in int32 (integerMatmul), then requantises with
 * float32(scale_a·scale_b) / scale_y as onnxruntime does; the convolutions sum in int32 too
 * (integer-conv.ts). Scales that are graph inputs compute that multiplier per run; known ones fold
 * into a constant at import.
 */

export interface Target {
  readonly dtype: DType;
  readonly range: readonly [number, number];
}

/**
 * The integer types QuantizeLinear writes, by ONNX type code: the HAL dtype holding them and
 * their range (the ONNX type's, never the holding dtype's: an INT4 held in int8 saturates at [-8, 7]).
 */
const TARGETS: Partial<Record<number, Target>> = {
  [DataType.UINT8]: { dtype: "uint8", range: [0, 255] },
  [DataType.INT8]: { dtype: "int8", range: [-128, 127] },
  [DataType.UINT16]: { dtype: "int32", range: [0, 65535] },
  [DataType.INT16]: { dtype: "int32", range: [-32768, 32767] },
  [DataType.UINT4]: { dtype: "uint8", range: [0, 15] },
  [DataType.INT4]: { dtype: "int8", range: [-8, 7] },
  [DataType.UINT2]: { dtype: "uint8", range: [0, 3] },
  [DataType.INT2]: { dtype: "int8", range: [-2, 1] },
};

/** The float types QuantizeLinear writes (rounded onto their grid by low-precision-cast.ts). */
const FLOAT_TARGETS = new Set<number>([DataType.FLOAT8E4M3FN, DataType.FLOAT8E4M3FNUZ, DataType.FLOAT8E5M2, DataType.FLOAT8E5M2FNUZ, DataType.FLOAT4E2M1]);

export function targetOf(ctx: ImportContext, typeCode: number): Target {
  const target = TARGETS[typeCode];
  if (!target)
    throw new DTypeError(
      `${ctx.where()}: quantising to ${onnxTypeName(typeCode).toLowerCase()} is not supported (uint8, int8, uint16, int16, uint4, int4, uint2, int2, float8, float4)`,
    );
  return target;
}

/** The ONNX type a zero point is declared with (the HAL dtype hides int16/uint16 in int32 and int4/int2 in int8). */
function typeOfZeroPoint(ctx: ImportContext, zp: string): number {
  const declared = ctx.declaredTypes.get(zp);
  if (declared !== undefined) return declared;
  const dtype = ctx.dtype(zp);
  if (dtype === "uint8") return DataType.UINT8;
  if (dtype === "int8") return DataType.INT8;
  return DataType.INT32;
}

/** A per-axis [C] parameter reshaped to broadcast along `axis` of a rank-r value; scalars stay. */
function alongAxis(ctx: ImportContext, node: OnnxNode, p: string, x: string): string {
  if (ctx.rank(p) === 0 || (ctx.rank(p) === 1 && ctx.dims(p)[0] === 1 && ctx.rank(x) !== 1)) return p;
  if (ctx.rank(p) !== 1) throw new ShapeError(`${ctx.where()}: a ${ctx.rank(p)}-D scale or zero point needs block_size (opset 21+)`);
  const rank = ctx.rank(x);
  const axis = axisOf(ctx, node.attrs.int("axis", 1), rank);
  const trailing = rank - 1 - axis;
  return trailing === 0 ? p : ctx.op("unsqueeze", [p], { axes: Array.from({ length: trailing }, (_, i) => i + 1) });
}

/**
 * A scale or zero point brought to broadcast against `x`: per tensor, per axis, or blocked (x's
 * rank, one entry per block_size elements along axis, the last block possibly short).
 */
function parameterFor(ctx: ImportContext, node: OnnxNode, p: string, x: string): string {
  const block = node.opset >= 21 ? node.attrs.int("block_size", 0) : 0;
  if (block === 0) return alongAxis(ctx, node, p, x);
  const xs = ctx.shape(x, "blocked quantisation");
  const ps = ctx.shape(p, "blocked quantisation");
  const axis = axisOf(ctx, node.attrs.int("axis", 1), xs.length);
  if (block < 0 || ps.length !== xs.length || ps.some((d, i) => d !== (i === axis ? Math.ceil(xs[i]! / block) : xs[i])))
    throw new ShapeError(
      `${ctx.where()}: block_size ${block} along axis ${axis} of [${xs.join(", ")}] needs a scale and zero point of [${xs.map((d, i) => (i === axis ? Math.ceil(d / block) : d)).join(", ")}], got [${ps.join(", ")}]`,
    );
  const repeated = [...ps.slice(0, axis + 1), block, ...ps.slice(axis + 1)];
  const spread = ctx.op("expand", [ctx.op("unsqueeze", [p], { axes: [axis + 1] })], { shape: repeated });
  const joined = ctx.op("reshape", [spread], { shape: ps.map((d, i) => (i === axis ? d * block : d)) });
  return ps[axis]! * block === xs[axis] ? joined : ctx.op("slice", [joined], { starts: [0], ends: [xs[axis]!], axes: [axis] });
}

/** saturate(round(v) + zero point) into the target (v already divided by the scale). */
export function requantize(ctx: ImportContext, v: string, zp: string | undefined, target: Target, out: string | undefined): string {
  let q = un(ctx, "round", v);
  if (zp) q = bin(ctx, "add", q, castTo(ctx, zp, ctx.dtype(v)));
  q = bin(ctx, "minimum", bin(ctx, "maximum", q, scalarLike(ctx, target.range[0], v)), scalarLike(ctx, target.range[1], v));
  return ctx.op("cast", [q], { to: target.dtype }, out);
}

const quantizeLinear: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const zp = optionalInput(node, 2);
  const out = output(node);
  const declaredOut = out ? ctx.declaredTypes.get(out) : undefined;
  const type = zp ? typeOfZeroPoint(ctx, zp) : node.attrs.int("output_dtype", 0) || declaredOut || DataType.UINT8;
  if (out) ctx.declaredTypes.set(out, type);
  const scaled = bin(ctx, "div", x, castTo(ctx, parameterFor(ctx, node, input(ctx, node, 1), x), ctx.dtype(x)));
  if (FLOAT_TARGETS.has(type)) {
    // Float8's zero point is zero by definition; float4's is added before rounding, as ONNX's reference does.
    const shifted = zp && type === DataType.FLOAT4E2M1 ? bin(ctx, "add", scaled, castTo(ctx, parameterFor(ctx, node, zp, x), ctx.dtype(scaled))) : scaled;
    castToLowPrecision(ctx, shifted, type, { saturate: node.attrs.int("saturate", 1) !== 0, roundMode: "nearest" }, out);
    return;
  }
  requantize(ctx, scaled, zp ? parameterFor(ctx, node, zp, x) : undefined, targetOf(ctx, type), out);
};

const dequantizeLinear: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const scale = parameterFor(ctx, node, input(ctx, node, 1), x);
  let v = castTo(ctx, x, ctx.dtype(scale));
  const zp = optionalInput(node, 2);
  if (zp) v = bin(ctx, "sub", v, castTo(ctx, parameterFor(ctx, node, zp, x), ctx.dtype(scale)));
  bin(ctx, "mul", v, scale, output(node));
  noteDequantizedWeight(ctx, node, output(node));
};

/** A QLinearMatMul parameter of a's rows (1-D, more than one entry) as a column [M, 1]; scalars stay. */
function perRow(ctx: ImportContext, p: string): string {
  const dims = ctx.dims(p);
  return dims.length === 1 && dims[0] !== 1 ? ctx.op("unsqueeze", [p], { axes: [1] }) : p;
}

/** float32(float32(s1 · s2) / s3), the multiplier onnxruntime requantises an int32 sum with. */
export function requantizeMultiplier(ctx: ImportContext, s1: string, s2: string, s3: string): string {
  const f32 = (s: string) => castTo(ctx, s, "float32");
  return bin(ctx, "div", bin(ctx, "mul", f32(s1), f32(s2)), f32(s3));
}

/** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): per tensor, or per row of a / column of b. */
const qLinearMatMul: OpImporter = (ctx, node) => {
  const [a, as, azp, b, bs, bzp, ys, yzp] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => input(ctx, node, i)) as string[];
  const acc = castTo(ctx, integerMatmulOf(ctx, a!, b!, azp, bzp), "float32");
  const multiplier = requantizeMultiplier(ctx, perRow(ctx, as!), bs!, perRow(ctx, ys!));
  requantize(ctx, bin(ctx, "mul", acc, multiplier), perRow(ctx, yzp!), targetOf(ctx, typeOfZeroPoint(ctx, yzp!)), output(node));
};

/**
 * QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B): the exact int32 convolution
 * of the centred operands plus the int32 bias, requantised per output channel with
 * float32(x_scale · w_scale[c]) / y_scale.
 */
export const qLinearConv: OpImporter = (ctx, node) => {
  const [x, xs, xzp, w, ws, wzp, ys, yzp] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => input(ctx, node, i)) as string[];
  const bias = optionalInput(node, 8);
  let sum = integerConvOf(ctx, node, x!, xzp, w!, wzp);
  const rank = ctx.rank(sum);
  const perChannel = (v: string) => ctx.op("reshape", [v], { shape: [-1, ...new Array<number>(rank - 2).fill(1)] });
  if (bias) sum = bin(ctx, "add", sum, perChannel(castTo(ctx, bias, "int32")));
  const acc = castTo(ctx, sum, "float32");
  const wScale = ctx.rank(ws!) === 1 && ctx.dims(ws!)[0] !== 1 ? perChannel(ws!) : ws!;
  requantize(ctx, bin(ctx, "mul", acc, requantizeMultiplier(ctx, xs!, wScale, ys!)), yzp, targetOf(ctx, typeOfZeroPoint(ctx, yzp!)), output(node));
};

/** ConvInteger(x, w, x_zero_point?, w_zero_point?): the exact int32 convolution of the centred operands (dynamically quantised exports). */
const convInteger: OpImporter = (ctx, node) => {
  ctx.bind(output(node), integerConvOf(ctx, node, input(ctx, node, 0), optionalInput(node, 2), input(ctx, node, 1), optionalInput(node, 3)));
};

export const QUANTIZE_IMPORTERS: Record<string, OpImporter> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearMatMul: qLinearMatMul,
  QLinearConv: qLinearConv,
  ConvInteger: convInteger,
};
