import { hostArray } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { axisOf, optionalInput } from "./helpers.ts";
import type { MatrixProduct } from "./matmul.ts";

/**
 * MatMul(x, DequantizeLinear(W)) with W a constant int8/uint8 [K, N] (or the Transpose of a
 * constant [N, K]) and a per-tensor or per-column scale and zero point, on the HAL's
 * matmulDequantized: the weight stays in its bytes instead of a float32 copy 4× its size that
 * the GEMM reads every run. DequantizeLinear lowers as before (its nodes are dropped as dead when
 * nothing else reads them) and notes here what it dequantised; MatMul asks for that note.
 */
interface DequantizedWeight {
  /** The constant quantised [K, N] weight, or the [N, K] one to transpose at import. */
  readonly bytes: string;
  readonly transposed: boolean;
  readonly scale: string;
  readonly zeroPoint: string | undefined;
  /** The [K, N] constant once made (several MatMuls may read one weight). */
  kn?: string;
}

const notes = new WeakMap<ImportContext, Map<string, DequantizedWeight>>();

/** A per-tensor ([] or [1]) parameter, or a 1-D one along the weight's last (column) axis. */
function perTensorOrColumn(ctx: ImportContext, node: OnnxNode, p: string, columns: number): boolean {
  const dims = ctx.dims(p);
  if (dims.length === 0 || (dims.length === 1 && dims[0] === 1)) return true;
  return dims.length === 1 && dims[0] === columns && axisOf(ctx, node.attrs.int("axis", 1), 2) === 1;
}

/** Called by DequantizeLinear after lowering `node` (x, scale, zero point?) to `out`. */
export function noteDequantizedWeight(ctx: ImportContext, node: OnnxNode, out: string | undefined): void {
  const [x, scale] = [node.inputs[0]!, node.inputs[1]!];
  const zeroPoint = optionalInput(node, 2);
  if (!out || node.attrs.int("block_size", 0) > 0 || ctx.rank(x) !== 2 || !["int8", "uint8"].includes(ctx.dtype(x)) || ctx.dtype(scale) !== "float32") return;
  const permute = ctx.producer(x);
  const transposed = permute?.op === "permute" && String(permute.attrs.dims) === "1,0" && ctx.isConstant(permute.inputs[0]);
  const bytes = transposed ? permute.inputs[0]! : x;
  if (!ctx.isConstant(bytes)) return;
  const columns = ctx.dims(x)[1];
  if (typeof columns !== "number" || !perTensorOrColumn(ctx, node, scale, columns) || (zeroPoint && !perTensorOrColumn(ctx, node, zeroPoint, columns))) return;
  let forContext = notes.get(ctx);
  if (!forContext) notes.set(ctx, (forContext = new Map()));
  forContext.set(out, { bytes, transposed, scale, zeroPoint });
}

/**
 * When `b` is a noted dequantised weight and `a` is float32: the quantised [K, N] weight and the
 * matmulDequantized product to run numpy matmul with (matmul.ts), else undefined (the float path).
 */
export function dequantizedProduct(ctx: ImportContext, a: string, b: string): { weight: string; product: MatrixProduct } | undefined {
  const note = notes.get(ctx)?.get(b);
  if (!note || ctx.dtype(a) !== "float32") return undefined;
  note.kn ??= note.transposed ? transposedConstant(ctx, note.bytes) : note.bytes;
  const parameters = [note.scale, ...(note.zeroPoint ? [note.zeroPoint] : [])];
  return { weight: note.kn, product: (c, x, y, o) => c.op("matmulDequantized", [x, y, ...parameters], {}, o) };
}

/** The [N, K] constant's bytes as a [K, N] constant. */
function transposedConstant(ctx: ImportContext, name: string): string {
  const t = ctx.constant(name)!;
  const [n, k] = t.shape as [number, number];
  const out = hostArray(t.dtype, n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) out[j * n + i] = t.data[i * k + j]!;
  return ctx.const(out, [k, n], t.dtype);
}
