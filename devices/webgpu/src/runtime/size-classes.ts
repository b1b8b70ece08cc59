/**
 * Pool size classes: powers of two split into four steps (1, 1.25, 1.5, 1.75 x 2^k), so a pooled
 * buffer wastes at most a quarter of its size while nearby sizes still share buffers.
 */
export function sizeClass(bytes: number): number {
  const n = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (n <= 256) return 2 ** Math.ceil(Math.log2(n));
  const base = 2 ** Math.floor(Math.log2(n));
  const step = base / 4;
  return Math.ceil(n / step) * step;
}
