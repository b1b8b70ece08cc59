/**
 * integerMatmul (HAL 1.7): ONNX MatMulInteger, (a − aZeroPoint) · (b − bZeroPoint) summed in
 * int32, exactly (wrapping at 32 bits as integer hardware and onnxruntime do). A float32 GEMM on
 * the integer values is exact only while partial sums stay below 2^24 — K ≤ 258 for worst-case
 * uint8 values — so the reference decomposition casts to int32 and runs the int32 matmul
 * primitive, whose sums are exact on every device.
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { describeTensors, formatShape } from "../shape.ts";
import type { DecompositionContext, OpDef, TensorMeta } from "./types.ts";

const QUANTIZED = ["int8", "uint8"];

/** Whether a zero point holds one value for the whole tensor ([] or [1]). */
export function isPerTensor(zeroPoint: TensorMeta): boolean {
  return zeroPoint.shape.length <= 1 && zeroPoint.shape.reduce((x, y) => x * y, 1) === 1;
}

/** A zero point's check: the operand's dtype, and per tensor or 1-D of `count` (`what`: rows of a, columns of b). */
function checkZeroPoint(operand: TensorMeta, zeroPoint: TensorMeta | undefined, count: number, what: string, ins: readonly TensorMeta[]): void {
  if (!zeroPoint) return;
  if (zeroPoint.dtype !== operand.dtype) throw new DTypeError(`integerMatmul: a zero point must have its operand's dtype, got ${describeTensors(ins)}`);
  if (!isPerTensor(zeroPoint) && (zeroPoint.shape.length !== 1 || zeroPoint.shape[0] !== count)) {
    throw new ShapeError(
      `integerMatmul: a zero point must be per tensor or 1-D of ${count} (${what}), got ${formatShape(zeroPoint.shape)} in ${describeTensors(ins)}`,
    );
  }
}

export const integerMatmul: OpDef = {
  name: "integerMatmul",
  kind: "composite",
  family: "nn",
  inputs: [2, 4],
  doc: "ONNX MatMulInteger: a[...,M,K] (int8|uint8) @ b[...,K,N] (int8|uint8) with equal batch dims, minus zero points aZeroPoint (per tensor or [M], a's dtype) and bZeroPoint (per tensor or [N], b's dtype), both optional; int32 output, exact (wraps at 32 bits)",
  infer(ins) {
    const [a, b, za, zb] = ins as [TensorMeta, TensorMeta, TensorMeta | undefined, TensorMeta | undefined];
    if (!QUANTIZED.includes(a.dtype) || !QUANTIZED.includes(b.dtype))
      throw new DTypeError(`integerMatmul: a and b must be int8 or uint8, got ${describeTensors(ins)}`);
    const r = a.shape.length;
    if (r < 2 || b.shape.length !== r) throw new ShapeError(`integerMatmul: expects a and b of one rank >= 2, got ${describeTensors(ins)}`);
    const [m, k] = [a.shape[r - 2]!, a.shape[r - 1]!];
    const [kb, n] = [b.shape[r - 2]!, b.shape[r - 1]!];
    if (k !== kb) throw new ShapeError(`integerMatmul: inner dimensions differ (${k} vs ${kb}) for ${describeTensors(ins)}`);
    if (a.shape.slice(0, r - 2).some((d, i) => d !== b.shape[i])) throw new ShapeError(`integerMatmul: batch dimensions differ for ${describeTensors(ins)}`);
    checkZeroPoint(a, za, m, "rows of a", ins);
    checkZeroPoint(b, zb, n, "columns of b", ins);
    return [{ shape: [...a.shape.slice(0, r - 2), m, n], dtype: "int32" }];
  },
  decompose<V>(ctx: DecompositionContext<V>, ins: readonly V[]): V[] {
    const [a, b, za, zb] = ins;
    integerMatmul.infer(
      ins.map((v) => ctx.meta(v)),
      {},
    );
    const int32 = (v: V) => ctx.call("cast", [v], { to: "int32" });
    // Per row of a: [M, 1] so it lines up with a's rows; per column of b: [N] along b's last dim.
    const centred = (x: V, zp: V | undefined, perRowShape: number[]) => {
      if (!zp) return int32(x);
      const z = ctx.meta(zp);
      return ctx.call("sub", [int32(x), ctx.reshape(int32(zp), isPerTensor(z) ? [] : perRowShape)]);
    };
    const m = ctx.meta(a!).shape.at(-2)!;
    return [ctx.call("matmul", [centred(a!, za, [m, 1]), centred(b!, zb, [ctx.meta(b!).shape.at(-1)!])])];
  },
};
