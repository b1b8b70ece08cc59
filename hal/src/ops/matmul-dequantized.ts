/**
 * matmulDequantized (HAL 1.8): a float32 activation times an int8/uint8 weight that a model stores
 * quantised, a · ((w − zeroPoint) · scale), per tensor or per column of w. A device can read the
 * weight's bytes in place (a quarter of its float32 size) instead of a dequantised float copy;
 * the reference decomposition dequantises (`cast`, `sub`, `mul`) and runs `matmul`, so every
 * device runs it.
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { describeTensors, formatShape } from "../shape.ts";
import { isPerTensor } from "./integer-matmul.ts";
import type { DecompositionContext, OpDef, TensorMeta } from "./types.ts";

const QUANTIZED = ["int8", "uint8"];

/** Whether a scale or zero point is per tensor ([] or [1]) or one per column ([N]); throws otherwise. */
function checkPerColumn(p: TensorMeta, n: number, what: string, ins: readonly TensorMeta[]): void {
  if (!isPerTensor(p) && (p.shape.length !== 1 || p.shape[0] !== n)) {
    throw new ShapeError(`matmulDequantized: ${what} must be per tensor or 1-D of ${n} (columns of w), got ${formatShape(p.shape)} in ${describeTensors(ins)}`);
  }
}

export const matmulDequantized: OpDef = {
  name: "matmulDequantized",
  kind: "composite",
  family: "nn",
  inputs: [3, 4],
  doc: "a[...,M,K] (float32) @ ((w[K,N] (int8|uint8) − zeroPoint) · scale), scale float32 and zeroPoint (w's dtype, optional) per tensor or [N]; float32 [...,M,N]",
  infer(ins) {
    const [a, w, scale, zp] = ins as [TensorMeta, TensorMeta, TensorMeta, TensorMeta | undefined];
    if (a.dtype !== "float32" || scale.dtype !== "float32") throw new DTypeError(`matmulDequantized: a and scale must be float32, got ${describeTensors(ins)}`);
    if (!QUANTIZED.includes(w.dtype)) throw new DTypeError(`matmulDequantized: w must be int8 or uint8, got ${describeTensors(ins)}`);
    if (zp && zp.dtype !== w.dtype) throw new DTypeError(`matmulDequantized: the zero point must have w's dtype, got ${describeTensors(ins)}`);
    const r = a.shape.length;
    if (r < 2 || w.shape.length !== 2) throw new ShapeError(`matmulDequantized: expects a of rank >= 2 and a 2-D w, got ${describeTensors(ins)}`);
    const [k, n] = [w.shape[0]!, w.shape[1]!];
    if (a.shape[r - 1] !== k) throw new ShapeError(`matmulDequantized: inner dimensions differ (${a.shape[r - 1]} vs ${k}) for ${describeTensors(ins)}`);
    checkPerColumn(scale, n, "the scale", ins);
    if (zp) checkPerColumn(zp, n, "the zero point", ins);
    return [{ shape: [...a.shape.slice(0, r - 1), n], dtype: "float32" }];
  },
  decompose<V>(ctx: DecompositionContext<V>, ins: readonly V[]): V[] {
    const [a, w, scale, zp] = ins as [V, V, V, V | undefined];
    const [y] = matmulDequantized.infer(
      ins.map((v) => ctx.meta(v)),
      {},
    );
    const [k, n] = ctx.meta(w).shape as [number, number];
    const along = (p: V) => ctx.reshape(p, isPerTensor(ctx.meta(p)) ? [] : [n]);
    const float = (v: V) => ctx.call("cast", [v], { to: "float32" });
    const centred = zp ? ctx.call("sub", [float(w), along(float(zp))]) : float(w);
    const weight = ctx.call("mul", [centred, along(scale)]);
    const rows = ctx.reshape(a, [
      ctx
        .meta(a)
        .shape.slice(0, -1)
        .reduce((x, d) => x * d, 1),
      k,
    ]);
    return [ctx.reshape(ctx.call("matmul", [rows, weight]), y!.shape)];
  },
};
