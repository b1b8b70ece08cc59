/** Inputs for the PyTorch-exported fixtures (fixtures/pytorch), fed as an onnxruntime user would: int64 ids as BigInt64Array. */
export type Feed = { data: Float32Array | BigInt64Array; shape: number[] };

/** Seeded values in [-1, 1). */
export function noise(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

/** Token ids and a mask whose last `padded` positions of every row but the first are padding. */
export function tokens(batch: number, length: number, padded: number): Record<string, Feed> {
  const shape = [batch, length];
  const ids = BigInt64Array.from({ length: batch * length }, (_, i) => BigInt((i * 37 + 11) % 100));
  const mask = BigInt64Array.from({ length: batch * length }, (_, i) => (i < length || i % length < length - padded ? 1n : 0n));
  return { input_ids: { data: ids, shape }, attention_mask: { data: mask, shape } };
}
