/**
 * Caller-thread work (ms) below which a job's chunks all run on the calling thread. Waking a worker
 * costs tens of microseconds on a quiet machine, and far more when other threads hold the cores:
 * the woken worker (or the caller it displaces) then waits for a time slice. Small models call many
 * kernels of a few microseconds whose chunking comes from cache blocking, not from their size
 * (the kernels' own thresholds, grid.ts, put GEMM-shaped work at about the same 50 µs).
 */
export const SERIAL_BELOW_MS = 0.05;

/**
 * Job sizes remembered per kernel before its record starts over (shapes vary in eager code). One
 * export runs every GEMM-shaped conv of a model, each layer shape a size of its own: a record that
 * started over within one forward pass would probe every job again.
 */
export const MAX_SIZES_PER_KERNEL = 512;

/**
 * How much one job may raise a kernel's recorded time: a time slice lost to another process
 * inflates a measurement many times over, and one such job must not send the next ones to the
 * pool; a kernel that really got slower (a larger problem with as many chunks) climbs there in a
 * few jobs.
 */
const MAX_GROWTH = 1.25;

/**
 * A job's size among its kernel's records: its chunk count, and its work where the caller gives it.
 * The chunk count alone tells jobs apart when it follows their size (elementwise blocks); where it
 * does not, jobs of very different sizes share it — a batched matmul has a chunk per batch entry
 * however small, so ppocr's 8-head attention products (8 chunks of under a microsecond) and its
 * 16M multiply-add classifier (8 blocks of columns) looked alike, and the small ones, recorded
 * first on every run, kept the large one on the calling thread.
 *
 * A number, not a string: this runs on every launch that may go to the pool. With work the key is
 * negative (a chunk count alone is not); past 2^53 two near-equal works may share a record, which
 * only makes them alike in where they run.
 */
const sizeKey = (chunks: number, work: number | undefined): number => (work === undefined ? chunks : -(work * 65536 + chunks));

/**
 * How long one chunk of each kernel takes in a job of a given size, on the calling thread (its
 * last job's time, rising by at most MAX_GROWTH a job), so that the next such job knows up front
 * whether it is worth waking the workers. A size is a chunk count, with the job's work (any
 * measure of it the caller likes: multiply-adds) where the caller gives one.
 */
export class ChunkTimes {
  private readonly byKernel = new WeakMap<object, Map<number, number>>();

  perChunk(kernel: object, chunks: number, work?: number): number | undefined {
    return this.byKernel.get(kernel)?.get(sizeKey(chunks, work));
  }

  record(kernel: object, chunks: number, msPerChunk: number, work?: number): void {
    const key = sizeKey(chunks, work);
    let sizes = this.byKernel.get(kernel);
    if (!sizes) this.byKernel.set(kernel, (sizes = new Map()));
    else if (sizes.size >= MAX_SIZES_PER_KERNEL && !sizes.has(key)) sizes.clear();
    const before = sizes.get(key);
    sizes.set(key, before === undefined ? msPerChunk : Math.min(msPerChunk, before * MAX_GROWTH));
  }
}
