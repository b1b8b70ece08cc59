import { DeviceError, DeviceTimeoutError, KernelError } from "@polychip/hal";
import { ARGS_BYTE_OFFSET, CONTROL_BYTES, DYNAMIC_FN, MAX_ARGS, MESSAGE_BYTE_OFFSET, MESSAGE_MAX_BYTES, W, WORKER_SOURCE } from "./protocol.ts";

/** What every worker needs to join: the compiled module, the shared memory and where the control block is. */
export interface PoolSetup {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of this pool's control block (CONTROL_BYTES, 8-aligned) in `memory`. */
  readonly control: number;
  /** Export names, in the order jobs refer to them by index. */
  readonly names: readonly string[];
}

/** The thread-facing part of a worker: Node's worker_threads.Worker and the browser's Worker both fit. */
interface WorkerHandle {
  terminate(): unknown;
  postMessage(message: unknown): void;
}

/** A module generated at run time, as workers find it: a unique id and its bytes in the shared memory. */
export interface DynamicModuleBytes {
  readonly id: number;
  readonly address: number;
  readonly length: number;
}

/** A chunk run on the calling thread: (chunkStart, chunkEnd, scratch pointer). */
export type ChunkRunner = (chunk0: number, chunk1: number, scratch: number) => void;

type NodeWorkerModule = { Worker: new (code: string, options: { eval: true }) => WorkerHandle & { unref(): void; on(e: string, f: (v: any) => void): void } };

function nodeWorkers(): NodeWorkerModule | undefined {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node) return undefined;
  return proc.getBuiltinModule?.("node:worker_threads") as NodeWorkerModule | undefined;
}

/** Whether this thread may block in Atomics.wait (Node's main thread and workers yes, a browser page no). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Worker threads that share the device's WASM memory. A job is a function and its arguments
 * plus a number of chunks; the caller publishes it, runs chunks itself, and returns once every
 * chunk has finished. Participants claim chunks one at a time, so a worker that is slow to wake
 * (or busy elsewhere on a loaded machine) simply takes fewer. Workers block in Atomics.wait when
 * idle and are unref'd, so they never keep a Node process alive.
 */
export class WorkerPool {
  readonly participants: number;
  private readonly workers: WorkerHandle[] = [];
  private readonly exited: Promise<void>[] = [];
  private live = 0;
  private seq = 0;
  private published = 0;
  private readonly ctl: Int32Array;
  private readonly ticket: BigInt64Array;
  private readonly args: Float64Array;
  private readonly message: Uint8Array;
  private readonly blocking = canBlock();
  private disposed = false;
  /** Set when a job's workers missed their deadline: the pool is then unusable (a worker may still be running). */
  private stalled: string | undefined;
  /**
   * How long a job may wait for its workers (the engine's base deadline, POLYCHIP_DEVICE_TIMEOUT_MS,
   * 120 s by default): a worker stuck in a kernel ends in a DeviceTimeoutError, not a hang.
   */
  deadlineMs = poolDeadlineMs();
  private readonly onTerminate: (() => void)[] = [];
  /** Set when a worker fails to start; it then takes no chunks, and the message says why. */
  startupError: string | undefined;

  constructor(
    private readonly setup: PoolSetup,
    workers: number,
  ) {
    const buffer = setup.memory.buffer;
    this.ctl = new Int32Array(buffer, setup.control, CONTROL_BYTES / 4);
    this.ticket = new BigInt64Array(buffer, setup.control, 1);
    this.args = new Float64Array(buffer, setup.control + ARGS_BYTE_OFFSET, MAX_ARGS);
    this.message = new Uint8Array(buffer, setup.control + MESSAGE_BYTE_OFFSET, MESSAGE_MAX_BYTES);
    this.ctl.fill(0);
    for (let i = 1; i <= workers; i++) this.spawn(i);
    this.participants = this.workers.length + 1;
  }

  /** Jobs handed to the workers so far (each one wakes them). */
  get jobsPublished(): number {
    return this.published;
  }

  /** Workers that have not exited (0 after dispose). */
  get liveWorkers(): number {
    return this.live;
  }

  /** Workers that have instantiated the module and serve chunks. */
  get readyWorkers(): number {
    return Atomics.load(this.ctl, W.READY);
  }

  private spawn(index: number): void {
    const init = { module: this.setup.module, memory: this.setup.memory, control: this.setup.control, index, names: this.setup.names };
    const onMessage = (m: { type: string; message?: string }) => {
      if (m?.type === "failed") this.startupError = m.message;
    };
    const node = nodeWorkers();
    if (node) {
      const worker = new node.Worker(WORKER_SOURCE, { eval: true });
      worker.on("message", onMessage);
      worker.on("error", (err: Error) => (this.startupError = err.message));
      this.exited.push(
        new Promise<void>((resolve) =>
          worker.on("exit", () => {
            this.live--;
            resolve();
          }),
        ),
      );
      // After the listeners: a 'message' listener refs the worker again.
      worker.unref();
      worker.postMessage(init);
      this.workers.push(worker);
    } else if (typeof Worker !== "undefined") {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
      const worker = new Worker(url);
      URL.revokeObjectURL(url);
      worker.onmessage = (e) => onMessage(e.data);
      worker.postMessage(init);
      this.workers.push(worker);
      // A terminated Web Worker is gone at once; there is no exit event to wait for.
      this.exited.push(
        new Promise<void>((resolve) =>
          this.onTerminate.push(() => {
            this.live--;
            resolve();
          }),
        ),
      );
    } else {
      return;
    }
    this.live++;
  }

  /**
   * Runs chunks [0, total) of export `fn` (its index in `names`) with `args` on every participant;
   * `scratch` is participant i's scratch pointer base + i * stride. The caller runs chunks through
   * `onCaller` (participant 0); without it, it only waits for the workers. Throws a KernelError
   * naming the first failure, after every chunk has finished. `fn` DYNAMIC_FN runs the export of
   * `dynamic` instead (see protocol.ts). `first` > 0 publishes only chunks [first, total): the caller
   * has run the ones before it already.
   */
  run(
    fn: number,
    args: readonly number[],
    total: number,
    scratchBase: number,
    scratchStride: number,
    onCaller?: ChunkRunner,
    dynamic?: DynamicModuleBytes,
    first = 0,
  ): void {
    if (this.disposed) throw new KernelError("cpu: the worker pool was disposed");
    if (this.stalled) throw new DeviceError(`cpu: the worker pool stopped after a stall (${this.stalled}); create a new cpu device`);
    if (args.length > MAX_ARGS) throw new KernelError(`cpu: a job takes at most ${MAX_ARGS} arguments, got ${args.length}`);
    if (fn === DYNAMIC_FN && !dynamic) throw new KernelError("cpu: a job of a generated module needs the module's bytes");
    const ctl = this.ctl;
    const seq = (this.seq = (this.seq + 1) & 0x7fffffff);
    ctl[W.TOTAL0 + (seq & 1)] = total;
    ctl[W.DONE] = first;
    ctl[W.ERROR] = 0;
    ctl[W.FN] = fn;
    if (dynamic) {
      ctl[W.DYN_ID] = dynamic.id;
      ctl[W.DYN_ADDR] = dynamic.address;
      ctl[W.DYN_LENGTH] = dynamic.length;
    }
    ctl[W.ARGC] = args.length;
    ctl[W.SCRATCH_BASE] = scratchBase;
    ctl[W.SCRATCH_STRIDE] = scratchStride;
    this.args.set(args);
    const published = BigInt(seq) << 32n;
    Atomics.store(this.ticket, 0, published + BigInt(first));
    Atomics.notify(this.ticket, 0);
    this.published++;

    let callerError: unknown;
    while (onCaller) {
      const t = Atomics.load(this.ticket, 0);
      const next = Number(t - published);
      if (next >= total) break;
      if (Atomics.compareExchange(this.ticket, 0, t, t + 1n) !== t) continue;
      try {
        onCaller(next, next + 1, scratchBase);
      } catch (err) {
        callerError ??= err;
      }
      Atomics.add(ctl, W.DONE, 1);
    }
    const started = performance.now();
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(ctl, W.DONE);
      if (done >= total) break;
      if (spins <= 2000) continue;
      if (this.blocking) Atomics.wait(ctl, W.DONE, done, 2);
      if (performance.now() - started > this.deadlineMs) {
        this.stalled = `job ${fn === DYNAMIC_FN ? `generated module ${dynamic!.id}` : (this.setup.names[fn] ?? fn)}: ${done} of ${total} chunks done after ${this.deadlineMs} ms`;
        throw new DeviceTimeoutError(`cpu: worker threads did not finish ${this.stalled}; a kernel is stuck in a worker`);
      }
    }
    if (callerError !== undefined) throw callerError;
    if (ctl[W.ERROR] !== 0) {
      const text = new TextDecoder().decode(this.message.slice(0, ctl[W.MESSAGE_LENGTH]));
      throw new KernelError(`cpu: a kernel failed in a worker thread: ${text}`);
    }
  }

  /** Stops every worker; resolves once they have exited. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl, W.STOP, 1);
    for (const w of this.workers) w.terminate();
    for (const f of this.onTerminate) f();
    await Promise.all(this.exited);
  }
}

function poolDeadlineMs(): number {
  const env = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLYCHIP_DEVICE_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : 120_000;
}
