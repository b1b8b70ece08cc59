import { DTypeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { bin, castTo, input, optionalInput, output, refuseUnknownAttributes, type OpImporter } from "./helpers.ts";
import { integerMatmulOf } from "./integer-matmul.ts";

/**
 * onnxruntime's fusions of dynamically quantised matmuls (DynamicQuantizeLinear → MatMulInteger →
 * Cast → Mul by the scales → Add bias), written by its "extended" optimiser: the exact int32
 * product of the centred operands, scaled to float by a_scale·b_scale, plus the bias.
 */

function requireEightBit(ctx: ImportContext, v: string, what: string): void {
  const dtype = ctx.dtype(v);
  if (dtype !== "int8" && dtype !== "uint8") throw new DTypeError(`${ctx.where()}: ${what} must be int8 or uint8, got ${dtype}`);
}

/** A per-tensor scale or zero point as a scalar; anything with more than one element is refused. */
function perTensor(ctx: ImportContext, v: string, what: string): string {
  const dims = ctx.dims(v);
  if (dims.some((d) => d !== 1)) throw new UnsupportedOpError(`${ctx.where()}: ${what} must be per tensor (one element), got shape [${dims.join(", ")}]`);
  return dims.length === 0 ? v : ctx.op("reshape", [v], { shape: [] });
}

/** b's scale or zero point: per tensor, or 1-D with one per column of B. */
function perColumn(ctx: ImportContext, v: string, b: string, what: string): string {
  const dims = ctx.dims(v);
  if (dims.every((d) => d === 1)) return perTensor(ctx, v, what);
  const columns = ctx.dims(b).at(-1);
  if (dims.length !== 1 || dims[0] !== columns) {
    throw new UnsupportedOpError(
      `${ctx.where()}: ${what} of shape [${dims.join(", ")}] is neither per tensor nor one per column of B ([${ctx.dims(b).join(", ")}])`,
    );
  }
  return v;
}

/** int32 (A − a_zp)·(B − b_zp) → float, times a_scale·b_scale (one float product, as onnxruntime forms it), plus bias. */
function scaledProduct(
  ctx: ImportContext,
  a: string,
  aZero: string | undefined,
  aScale: string,
  b: string,
  bZero: string | undefined,
  bScale: string,
  bias: string | undefined,
  out?: string,
): string {
  const product = castTo(ctx, integerMatmulOf(ctx, a, b, aZero, bZero), ctx.dtype(bScale));
  const scale = bin(ctx, "mul", castTo(ctx, aScale, ctx.dtype(bScale)), bScale);
  const y = bin(ctx, "mul", product, scale, bias ? undefined : out);
  return bias ? bin(ctx, "add", y, bias, out) : y;
}

/** MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zero_point?, b_zero_point?, bias?). */
const matMulIntegerToFloat: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, []);
  const [a, b] = [input(ctx, node, 0), input(ctx, node, 1)];
  requireEightBit(ctx, a, "A");
  requireEightBit(ctx, b, "B");
  const aZero = optionalInput(node, 4);
  const bZero = optionalInput(node, 5);
  scaledProduct(
    ctx,
    a,
    aZero && perTensor(ctx, aZero, "a_zero_point"),
    perTensor(ctx, input(ctx, node, 2), "a_scale"),
    b,
    bZero && perColumn(ctx, bZero, b, "b_zero_point"),
    perColumn(ctx, input(ctx, node, 3), b, "b_scale"),
    optionalInput(node, 6),
    output(node),
  );
};

/**
 * DynamicQuantizeMatMul(A, B, b_scale, b_zero_point?, bias?): A (float) quantised to uint8 as
 * DynamicQuantizeLinear does (the HAL's dynamicQuantizeLinear), then MatMulIntegerToFloat.
 */
const dynamicQuantizeMatMul: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, []);
  const [x, b] = [input(ctx, node, 0), input(ctx, node, 1)];
  if (ctx.dtype(x) !== "float32") throw new DTypeError(`${ctx.where()}: A must be float32, got ${ctx.dtype(x)}`);
  requireEightBit(ctx, b, "B");
  const [aq, aScale, aZero] = ctx.opN("dynamicQuantizeLinear", [x], {}, [undefined, undefined, undefined]) as [string, string, string];
  const bZero = optionalInput(node, 3);
  scaledProduct(
    ctx,
    aq,
    aZero,
    aScale,
    b,
    bZero && perColumn(ctx, bZero, b, "b_zero_point"),
    perColumn(ctx, input(ctx, node, 2), b, "b_scale"),
    optionalInput(node, 4),
    output(node),
  );
};

export const ORT_QUANTIZED_MATMUL_IMPORTERS: Record<string, OpImporter> = {
  MatMulIntegerToFloat: matMulIntegerToFloat,
  DynamicQuantizeMatMul: dynamicQuantizeMatMul,
};
