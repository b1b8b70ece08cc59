import { Arena } from "./arena.ts";
import { callChunks } from "./call-chunks.ts";
import { CONTROL_BYTES, DYNAMIC_EXPORT, DYNAMIC_FN, MAX_ARGS } from "./protocol.ts";
import { ChunkTimes, SERIAL_BELOW_MS } from "./job-size.ts";
import { WorkerPool, type DynamicModuleBytes } from "./pool.ts";
import { relaxedMaddFuses, relaxedSimdSupported, simdSupported } from "../wasm/features.ts";
import { buildProgram } from "../wasm/program.ts";

type Export = (...args: number[]) => unknown;

/**
 * A module generated at run time (a fused program) whose one export, DYNAMIC_EXPORT, is a chunked
 * kernel: instantiated on the calling thread, and its bytes kept in the shared memory for workers.
 */
export interface GeneratedModule {
  readonly fn: Export;
  /** Undefined when only the calling thread can run it (unshared memory, or no room for the bytes). */
  readonly shared: DynamicModuleBytes | undefined;
}

/** Whether this host gives us shared memory: Node always, a browser page only when cross-origin isolated. */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== "function") return false;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** Cores the host reports: os.availableParallelism() in Node, navigator.hardwareConcurrency in a browser. */
export function hostCores(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * One per JavaScript realm: the WASM memory every wasm-enabled cpu device allocates from, the
 * compiled kernels, an instance on the calling thread, and the worker pools (one per thread
 * count, shared by the devices that asked for it and stopped when the last of them is disposed).
 */
export class WasmRuntime {
  readonly arena: Arena;
  readonly module: WebAssembly.Module;
  readonly names: readonly string[];
  /** The GEMM uses relaxed-SIMD fused multiply-add (available, and a hardware FMA on this machine). */
  readonly fma: boolean;
  private readonly exports: Record<string, Export>;
  private readonly pools = new Map<number, { pool: WorkerPool; users: number; control: number }>();
  private scratch = { base: 0, stride: 0, participants: 0 };
  private table = { base: 0, bytes: 0 };
  private f32View: Float32Array;
  private i32View: Int32Array;
  /** The arena's growth count when f32View and i32View were made. */
  private viewGrowths = 0;
  private nextModuleId = 1;
  private readonly chunkTimes = new ChunkTimes();

  private constructor() {
    const shared = sharedMemoryAvailable();
    let arena: Arena;
    try {
      arena = new Arena({ shared });
    } catch {
      arena = new Arena({ shared: false });
    }
    this.arena = arena;
    if (!simdSupported()) throw new Error("this host's WebAssembly has no SIMD");
    this.fma = relaxedSimdSupported() && relaxedMaddFuses();
    const program = buildProgram({ shared: arena.shared, fma: this.fma });
    this.module = new WebAssembly.Module(program.bytes);
    this.names = program.names;
    const instance = new WebAssembly.Instance(this.module, { env: { memory: arena.memory } });
    this.exports = instance.exports as unknown as Record<string, Export>;
    this.f32View = new Float32Array(arena.memory.buffer);
    this.i32View = new Int32Array(arena.memory.buffer);
  }

  private static instance: WasmRuntime | null | undefined;
  private static failure: string | undefined;

  /** The realm's runtime, created on first use; undefined where WebAssembly SIMD is not available. */
  static get(): WasmRuntime | undefined {
    if (WasmRuntime.instance === undefined) {
      try {
        WasmRuntime.instance = new WasmRuntime();
      } catch (err) {
        WasmRuntime.instance = null;
        WasmRuntime.failure = (err as Error)?.message ?? String(err);
      }
    }
    return WasmRuntime.instance ?? undefined;
  }

  /** Why the runtime could not start, if it could not. */
  static get unavailableReason(): string | undefined {
    return WasmRuntime.failure;
  }

  get shared(): boolean {
    return this.arena.shared;
  }

  /** The memory as float32 (refreshed when an unshared memory grows). */
  get f32(): Float32Array {
    this.refreshViews();
    return this.f32View;
  }

  get i32(): Int32Array {
    this.refreshViews();
    return this.i32View;
  }

  /** Only the arena grows the memory (no kernel runs memory.grow), so its count says when the views are stale. */
  private refreshViews(): void {
    if (this.viewGrowths !== this.arena.growths) {
      const buffer = this.arena.memory.buffer;
      this.f32View = new Float32Array(buffer);
      this.i32View = new Int32Array(buffer);
      this.viewGrowths = this.arena.growths;
    }
  }

  /** A pool of `threads - 1` workers (the caller is the last participant), shared with other devices asking for as many. */
  acquirePool(threads: number): WorkerPool | undefined {
    if (threads <= 1 || !this.shared) return undefined;
    const entry = this.pools.get(threads);
    if (entry) {
      entry.users++;
      return entry.pool;
    }
    const control = this.arena.alloc(CONTROL_BYTES);
    if (control === undefined) return undefined;
    const pool = new WorkerPool({ module: this.module, memory: this.arena.memory, control, names: this.names }, threads - 1);
    this.pools.set(threads, { pool, users: 1, control });
    return pool;
  }

  /** Drops one user of `pool`; the last one stops its workers (resolves when they have exited). */
  async releasePool(pool: WorkerPool): Promise<void> {
    for (const [threads, entry] of this.pools) {
      if (entry.pool !== pool) continue;
      if (--entry.users > 0) return;
      this.pools.delete(threads);
      await pool.dispose();
      this.arena.free(entry.control, CONTROL_BYTES);
      return;
    }
  }

  /** Index of an export, as jobs name it. */
  exportIndex(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`cpu: the wasm module has no export ${name}`);
    return i;
  }

  /** Calls an export on the calling thread. */
  call(name: string, ...args: number[]): unknown {
    return this.exports[name]!(...args);
  }

  /** `participants` scratch areas of at least `bytes` each (64-aligned); reused across kernels, grown on demand. */
  scratchFor(participants: number, bytes: number): { base: number; stride: number } {
    const stride = Arena.blockSize(bytes + 64);
    const s = this.scratch;
    if (s.stride < stride || s.participants < participants) {
      const newStride = Math.max(stride, s.stride);
      const newParticipants = Math.max(participants, s.participants);
      if (s.base) this.arena.free(s.base, s.stride * s.participants);
      const base = this.arena.alloc(newStride * newParticipants);
      if (base === undefined) {
        this.scratch = { base: 0, stride: 0, participants: 0 };
        throw new RangeError(`cpu: no room for ${newParticipants} x ${newStride} bytes of kernel scratch in the wasm memory`);
      }
      this.scratch = { base, stride: newStride, participants: newParticipants };
    }
    return { base: this.scratch.base, stride: this.scratch.stride };
  }

  /**
   * A region for a kernel's small side tables (batch offsets), written by the caller and read by
   * the job's participants; reused by the next kernel, grown on demand.
   */
  tableFor(bytes: number): number {
    if (this.table.bytes < bytes) {
      if (this.table.base) this.arena.free(this.table.base, this.table.bytes);
      const size = Arena.blockSize(Math.max(bytes, 4096));
      const base = this.arena.alloc(size);
      if (base === undefined) {
        this.table = { base: 0, bytes: 0 };
        throw new RangeError(`cpu: no room for a ${size}-byte kernel table in the wasm memory`);
      }
      this.table = { base, bytes: size };
    }
    return this.table.base;
  }

  /**
   * Runs chunks [0, chunks) of export `name` — called as name(...args, chunk0, chunk1, scratch) —
   * across `pool` (or on the calling thread alone), each participant with `scratchBytes` of scratch.
   * `work` (multiply-adds, say) tells the job's size apart from other jobs of the export with as
   * many chunks, where the chunk count does not follow the size (see ChunkTimes).
   */
  run(pool: WorkerPool | undefined, name: string, args: readonly number[], chunks: number, scratchBytes: number, work?: number): void {
    const fn = this.exports[name];
    if (!fn) throw new Error(`cpu: the wasm module has no export ${name}`);
    if (this.serial(pool, args, chunks)) this.runSerial(fn, args, chunks, scratchBytes);
    else this.runChunks(pool!, fn, () => this.exportIndex(name), undefined, args, chunks, scratchBytes, work);
  }

  /** Compiles and instantiates generated module bytes on this memory (see GeneratedModule). */
  loadModule(bytes: Uint8Array<ArrayBuffer>): GeneratedModule {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: this.arena.memory } });
    const fn = instance.exports[DYNAMIC_EXPORT] as Export | undefined;
    if (!fn) throw new Error(`cpu: a generated module must export ${DYNAMIC_EXPORT}`);
    const address = this.shared ? this.arena.alloc(bytes.length) : undefined;
    if (address === undefined) return { fn, shared: undefined };
    new Uint8Array(this.arena.memory.buffer, address, bytes.length).set(bytes);
    return { fn, shared: { id: this.nextModuleId++, address, length: bytes.length } };
  }

  /** Gives back the memory of a module's bytes; the module is not run again. */
  unloadModule(module: GeneratedModule): void {
    if (module.shared) this.arena.free(module.shared.address, module.shared.length);
  }

  /** `run` for the export of a generated module: across `pool` when its bytes are in the shared memory. */
  runModule(pool: WorkerPool | undefined, module: GeneratedModule, args: readonly number[], chunks: number, scratchBytes: number, work?: number): void {
    const shared = module.shared ? pool : undefined;
    if (this.serial(shared, args, chunks)) this.runSerial(module.fn, args, chunks, scratchBytes);
    else this.runChunks(shared!, module.fn, () => DYNAMIC_FN, module.shared, args, chunks, scratchBytes, work);
  }

  /** Whether a job runs on the calling thread alone, whatever its size: no pool, one chunk, or too many arguments for a worker. */
  private serial(pool: WorkerPool | undefined, args: readonly number[], chunks: number): boolean {
    return pool === undefined || chunks <= 1 || args.length > MAX_ARGS;
  }

  /** All chunks on the calling thread, in one call: the cost of a small kernel's launch is mostly this path. */
  private runSerial(fn: Export, args: readonly number[], chunks: number, scratchBytes: number): void {
    if (chunks <= 0) return;
    // The scratch usually fits already: no need for scratchFor's object on every small launch.
    const s = this.scratch;
    const base = s.participants > 0 && s.stride >= Arena.blockSize(scratchBytes + 64) ? s.base : this.scratchFor(1, scratchBytes).base;
    callChunks(fn, args, 0, chunks, base);
  }

  /**
   * Runs a job on the calling thread while it is small (SERIAL_BELOW_MS, judged from this kernel's
   * last job of as many chunks, else from its first chunks), and across the pool otherwise.
   */
  private runChunks(
    pool: WorkerPool,
    fn: Export,
    fnIndex: () => number,
    dynamic: DynamicModuleBytes | undefined,
    args: readonly number[],
    chunks: number,
    scratchBytes: number,
    work: number | undefined,
  ): void {
    const { base, stride } = this.scratchFor(pool.participants, scratchBytes);
    const known = this.chunkTimes.perChunk(fn, chunks, work);
    let first = 0;
    if (known === undefined) first = this.probeOnCaller(fn, args, chunks, base, work);
    else if (known * chunks < SERIAL_BELOW_MS) {
      const started = performance.now();
      callChunks(fn, args, 0, chunks, base);
      this.chunkTimes.record(fn, chunks, (performance.now() - started) / chunks, work);
      return;
    }
    if (first === chunks) return;
    let callerMs = 0;
    let callerChunks = 0;
    const onCaller = (c0: number, c1: number, scratch: number) => {
      const started = performance.now();
      callChunks(fn, args, c0, c1, scratch);
      callerMs += performance.now() - started;
      callerChunks += c1 - c0;
    };
    pool.run(fnIndex(), args, chunks, base, stride, onCaller, dynamic, first);
    if (callerChunks > 0) this.chunkTimes.record(fn, chunks, callerMs / callerChunks, work);
  }

  /** Runs chunks on the calling thread until the rest look worth the workers' wake-up; returns how many it ran. */
  private probeOnCaller(fn: Export, args: readonly number[], chunks: number, scratch: number, work: number | undefined): number {
    const started = performance.now();
    let done = 0;
    let elapsed = 0;
    while (done < chunks) {
      callChunks(fn, args, done, done + 1, scratch);
      done++;
      elapsed = performance.now() - started;
      if ((elapsed / done) * (chunks - done) >= SERIAL_BELOW_MS) break;
    }
    this.chunkTimes.record(fn, chunks, elapsed / done, work);
    return done;
  }
}
