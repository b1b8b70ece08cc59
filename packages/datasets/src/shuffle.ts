/**
 * A small seeded PRNG for shuffling: a 32-bit Weyl sequence whose state is passed through a
 * murmur-style finaliser. Deterministic across platforms (only 32-bit integer maths), which is all
 * a data order needs; it is not the HAL's tensor random stream.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

/** A permutation of 0..count-1 (Fisher–Yates), the same for the same seed everywhere. */
export function shuffledIndices(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = createRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}
