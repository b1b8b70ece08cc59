/**
 * The HAL's random-number specification. Random fills are counter-based: element i of a fill with
 * seed s depends only on (s, i), so every device can produce the same numbers in parallel and a
 * vendor can check its kernel bit for bit. These functions define the stream; they are not kernels.
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32 random bits for element `index` of the stream `seed`. */
export function randomBits(seed: number, index: number): number {
  return fmix32((seed >>> 0) ^ fmix32(Math.imul(index + 1, 0x9e3779b9) >>> 0));
}

/** Uniform in [0, 1) with 24 bits of precision (exactly representable in float32). */
export function randomUnit(seed: number, index: number): number {
  return (randomBits(seed, index) >>> 8) / 16777216;
}

/** Standard normal for element `index` (Box-Muller on two uniform draws of the stream). */
export function randomStandardNormal(seed: number, index: number): number {
  const u1 = 1 - randomUnit(seed, 2 * index); // (0, 1]: log is finite
  const u2 = randomUnit(seed, 2 * index + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
