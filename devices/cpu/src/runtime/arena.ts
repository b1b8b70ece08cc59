/**
 * The WebAssembly memory the cpu device allocates its buffers from, so WASM kernels (and worker
 * threads sharing the memory) work on tensors in place. Shared (a SharedArrayBuffer) wherever the
 * host allows it; otherwise a plain memory, whose buffer is replaced when it grows — `generation`
 * counts those replacements so cached typed arrays know when to refresh.
 *
 * Blocks are not zeroed here: `alloc` says whether the block may hold old bytes ("dirty"), and the
 * device zeroes lazily, only when something could observe them (V8 fills shared memory slowly, and
 * most blocks are about to be overwritten whole by a kernel).
 *
 * The allocator is deliberately simple: blocks are multiples of 64 bytes (cache lines, and every
 * SIMD load aligned), freed blocks wait in exact-size lists — training loops allocate the same
 * sizes every step, so almost every request is an exact hit — and fresh space comes from a bump
 * pointer that grows the memory on demand. Only when the memory cannot grow are neighbouring free
 * blocks merged and searched for a first fit.
 */

import { CONSTANT_TABLES_END } from "../wasm/constant-tables.ts";

const PAGE = 65536;
const ALIGN = 64;
/** wasm32 addresses reach 4 GiB. */
export const MAX_PAGES = 65536;
/** The first bytes are never handed out: address 0 means "none" to the kernels, then come the WASM modules' constant tables. */
const RESERVED = CONSTANT_TABLES_END;

export interface ArenaOptions {
  readonly shared: boolean;
  readonly initialBytes?: number;
  /** Upper bound for the memory, in bytes (default 4 GiB). */
  readonly maximumBytes?: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly maximumBytes: number;
  /** Bumped whenever `memory.buffer` is replaced (growth of an unshared memory). */
  generation = 0;
  /** Bumped on every growth, shared or not: a typed array over the whole memory is then too short. */
  growths = 0;
  private top = RESERVED;
  /** Bytes above this offset have never been handed out, so they are still zero. */
  private pristine = RESERVED;
  private readonly freeBySize = new Map<number, number[]>();
  private freeBytes = 0;

  constructor(options: ArenaOptions) {
    this.shared = options.shared;
    const maxPages = Math.min(MAX_PAGES, Math.floor((options.maximumBytes ?? MAX_PAGES * PAGE) / PAGE));
    this.maximumBytes = maxPages * PAGE;
    const initial = Math.min(maxPages, Math.max(1, Math.ceil((options.initialBytes ?? 16 * 2 ** 20) / PAGE)));
    this.memory = new WebAssembly.Memory({ initial, maximum: maxPages, shared: options.shared } as WebAssembly.MemoryDescriptor);
  }

  /** Bytes of the memory in use by live blocks and free lists together (the high-water mark). */
  get reservedBytes(): number {
    return this.top;
  }

  /** Size of the block that serves a request of `bytes`. */
  static blockSize(bytes: number): number {
    return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  }

  /** A block of at least `bytes` bytes, or undefined when the memory cannot hold it. */
  alloc(bytes: number): number | undefined {
    return this.allocBlock(bytes)?.offset;
  }

  /** Like alloc, and says whether the block may hold bytes of an earlier block (else it is all zeros). */
  allocBlock(bytes: number): { offset: number; dirty: boolean } | undefined {
    const size = Arena.blockSize(bytes);
    const list = this.freeBySize.get(size);
    if (list && list.length > 0) {
      const offset = list.pop()!;
      this.freeBytes -= size;
      return { offset, dirty: true };
    }
    const fresh = this.bump(size);
    if (fresh !== undefined) return fresh;
    const fit = this.firstFitAfterMerge(size);
    return fit === undefined ? undefined : { offset: fit, dirty: true };
  }

  free(offset: number, bytes: number): void {
    const size = Arena.blockSize(bytes);
    if (offset + size === this.top) {
      this.top = offset; // the last block: give the space straight back to the bump pointer
      return;
    }
    let list = this.freeBySize.get(size);
    if (!list) this.freeBySize.set(size, (list = []));
    list.push(offset);
    this.freeBytes += size;
  }

  private bump(size: number): { offset: number; dirty: boolean } | undefined {
    const end = this.top + size;
    if (end > this.memory.buffer.byteLength && !this.grow(end)) return undefined;
    const offset = this.top;
    this.top = end;
    const dirty = offset < this.pristine;
    this.pristine = Math.max(this.pristine, end);
    return { offset, dirty };
  }

  private grow(end: number): boolean {
    const current = this.memory.buffer.byteLength;
    if (end > this.maximumBytes) return false;
    // Grow by at least a quarter so a run of allocations does not grow page by page.
    const target = Math.min(this.maximumBytes, Math.max(end, current + Math.floor(current / 4)));
    try {
      this.memory.grow(Math.ceil((target - current) / PAGE));
    } catch {
      try {
        this.memory.grow(Math.ceil((end - current) / PAGE));
      } catch {
        return false;
      }
    }
    if (!this.shared) this.generation++;
    this.growths++;
    return true;
  }

  /** Merges adjacent free blocks (lowering the bump pointer when the last ones are free) and takes the first that fits. */
  private firstFitAfterMerge(size: number): number | undefined {
    if (this.freeBytes < size) return undefined;
    const blocks: [number, number][] = [];
    for (const [s, list] of this.freeBySize) for (const o of list) blocks.push([o, s]);
    blocks.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [o, s] of blocks) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === o) last[1] += s;
      else merged.push([o, s]);
    }
    this.freeBySize.clear();
    this.freeBytes = 0;
    const lastBlock = merged[merged.length - 1];
    if (lastBlock && lastBlock[0] + lastBlock[1] === this.top) {
      this.top = lastBlock[0];
      merged.pop();
    }
    let found: number | undefined;
    for (const [o, s] of merged) {
      if (found === undefined && s >= size) {
        found = o;
        if (s > size) this.free(o + size, s - size);
      } else {
        this.free(o, s);
      }
    }
    return found ?? this.bump(size)?.offset;
  }
}
