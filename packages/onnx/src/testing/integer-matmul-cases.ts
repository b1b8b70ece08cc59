import type { TensorProto } from "../proto/types.ts";
import { buildModel, initializer } from "./model-builder.ts";

/** MatMulInteger models and their plain int32 oracle, shared by the importer's and the devices' tests. */

/** An int8 (signed) or uint8 initializer. */
export const bytes = (name: string, values: number[], shape: number[], signed = false): TensorProto => ({
  ...initializer(
    name,
    values.map((v) => (signed ? v & 255 : v)),
    shape,
    "bool",
  ),
  dataType: signed ? 3 : 2,
});

/** MatMulInteger(a, initializers...) with `a` a model input of `a.type`. */
export function matMulIntegerModel(a: { shape: number[]; type: "uint8" | "int8" }, b: TensorProto, zeroPoints: TensorProto[], inputs: string[]): Uint8Array {
  return buildModel({
    opset: 13,
    inputs: [{ name: "a", type: a.type, shape: a.shape }],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "MatMulInteger", inputs: ["a", ...inputs], outputs: ["y"] }],
    initializers: [b, ...zeroPoints],
  });
}

/**
 * Σ (a − za)(b − zb) wrapped to int32 for a [batches, M, K] (row-major) times one b [K, N], with
 * zero points per tensor (one value) or per row of a / column of b.
 */
export function integerMatmulOracle(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  [batches, M, K, N]: number[],
  za: readonly number[] = [0],
  zb: readonly number[] = [0],
): number[] {
  const out: number[] = [];
  for (let t = 0; t < batches!; t++)
    for (let i = 0; i < M!; i++)
      for (let j = 0; j < N!; j++) {
        let s = 0;
        for (let k = 0; k < K!; k++)
          s = (s + Math.imul(a[(t * M! + i) * K! + k]! - (za.length > 1 ? za[i]! : za[0]!), b[k * N! + j]! - (zb.length > 1 ? zb[j]! : zb[0]!))) | 0;
        out.push(s);
      }
  return out;
}

/** K = 1152 with every product −255·255: sums far past 2^24, where a float32 GEMM rounds. */
export function worstCaseMatMulInteger(M: number, N: number): { model: Uint8Array; a: number[]; want: number[] } {
  const K = 1152;
  const model = matMulIntegerModel(
    { shape: [M, K], type: "uint8" },
    bytes("w", new Array(K * N).fill(255), [K, N]),
    [bytes("za", [255], []), bytes("zb", [0], [])],
    ["w", "za", "zb"],
  );
  return { model, a: new Array(M * K).fill(0), want: new Array(M * N).fill(-255 * 255 * K) };
}

/** A batched int8 A [2, 3, 300] with zero points per row, times int8 B [300, 5] with zero points per column. */
export function batchedMatMulInteger(): { model: Uint8Array; a: number[]; shape: number[]; want: number[] } {
  const [T, M, K, N] = [2, 3, 300, 5];
  const a = Array.from({ length: T * M * K }, (_, i) => ((i * 37) % 256) - 128);
  const b = Array.from({ length: K * N }, (_, i) => ((i * 91) % 256) - 128);
  const za = [-3, 0, 127];
  const zb = [5, -128, 0, 1, 64];
  const model = matMulIntegerModel(
    { shape: [T, M, K], type: "int8" },
    bytes("w", b, [K, N], true),
    [bytes("za", za, [M], true), bytes("zb", zb, [N], true)],
    ["w", "za", "zb"],
  );
  return { model, a, shape: [T, M, K], want: integerMatmulOracle(a, b, [T, M, K, N], za, zb) };
}
