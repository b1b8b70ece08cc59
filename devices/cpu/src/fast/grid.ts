/**
 * How a kernel splits into chunks for the worker pool. Chunks are claimed one at a time, so a few
 * per thread balance a loaded machine; each must still be big enough that claiming it (tens of
 * nanoseconds) and waking a worker (microseconds) are noise.
 */

/** Units of work (elements, window taps) below which a kernel runs on the calling thread alone. */
export const PARALLEL_MIN_WORK = 1 << 18;

/**
 * Multiply-adds below which a GEMM-shaped kernel (matmul, convolutions) runs on the calling thread:
 * about 50 µs of SIMD work. A multiply-add costs a tenth of an elementwise step, and on a busy
 * machine a worker that is woken late holds up the chunk it claimed: smaller products got slower
 * with a second thread (CNN inference at batch 1: 0.60 ms at this threshold, 0.77 ms at 2^18).
 */
export const PARALLEL_MIN_MACS = 1 << 21;

/** Chunks to aim for: several per participant when the work is large enough, 1 otherwise. */
export function targetChunks(threads: number, work: number, minWorkPerChunk = PARALLEL_MIN_WORK / 4, minWork = PARALLEL_MIN_WORK): number {
  if (threads <= 1 || work < minWork) return 1;
  return Math.max(1, Math.min(threads * 4, Math.floor(work / minWorkPerChunk)));
}

/** Splits `n` into at most `parts` blocks whose size is a multiple of `align`; returns the block size. */
export function blockSize(n: number, parts: number, align: number): number {
  const size = Math.ceil(n / Math.max(1, parts) / align) * align;
  return Math.max(align, size);
}

/**
 * A 2-D split of an M x N output into about `target` blocks (per batch entry), halving the longer
 * side (in units of the register tile) until there are enough. Returns block sizes and counts.
 */
export function splitMatrix(M: number, N: number, target: number, mAlign: number, nAlign: number): { mb: number; nb: number; gm: number; gn: number } {
  let gm = 1;
  let gn = 1;
  while (gm * gn < target) {
    const rowsLeft = M / gm / mAlign;
    const colsLeft = N / gn / nAlign;
    if (rowsLeft >= 2 && rowsLeft >= colsLeft) gm *= 2;
    else if (colsLeft >= 2) gn *= 2;
    else if (rowsLeft >= 2) gm *= 2;
    else break;
  }
  const mb = blockSize(M, gm, mAlign);
  const nb = blockSize(N, gn, nAlign);
  return { mb, nb, gm: Math.max(1, Math.ceil(M / mb)), gn: Math.max(1, Math.ceil(N / nb)) };
}
