import {
  BaseDevice,
  DeviceError,
  DTYPES,
  dtypeBytes,
  describeTensors,
  HAL_VERSION,
  isContiguous,
  sizeOf,
  type Capabilities,
  type Device,
  type DeviceBuffer,
  type DeviceInfo,
  type EventSink,
  type KernelCall,
  type KernelFn,
  type TensorView,
  parseFusedProgram,
  type Attrs,
  type TensorMeta,
} from "@polychip/hal";
import type { Arena } from "./runtime/arena.ts";
import type { WorkerPool } from "./runtime/pool.ts";
import { hostCores, WasmRuntime } from "./runtime/runtime.ts";

/** Where an arena-backed buffer lives: the runtime's WASM memory, from this byte offset. */
export interface ArenaPlacement {
  readonly arena: Arena;
  readonly offset: number;
}

/** A device's record of one live arena block. */
interface ArenaBlock extends ArenaPlacement {
  readonly bytes: number;
}

/**
 * Host memory owned by the CPU device: a block of the WASM memory (so WASM kernels and worker
 * threads use it in place) or, with wasm off or the memory full, an ArrayBuffer of its own. The
 * typed arrays view the buffer from its first byte, padded to a multiple of 8 bytes so every
 * element type can view it whole.
 */
export class CpuBuffer implements DeviceBuffer {
  readonly device = "cpu";
  freed = false;
  /** The block may still hold an earlier buffer's bytes; the device zeroes it before anything can see them. */
  needsZero = false;
  /** Byte offset in the WASM memory, when the buffer lives there. */
  readonly wasmOffset: number | undefined;
  private readonly own: ArrayBuffer | undefined;
  private readonly arena: Arena | undefined;
  private generation = 0;
  private f32?: Float32Array;
  private i32?: Int32Array;
  private u16?: Uint16Array;
  private i8?: Int8Array;
  private u8?: Uint8Array;

  constructor(
    readonly bytes: number,
    placement?: ArenaPlacement,
  ) {
    this.arena = placement?.arena;
    this.wasmOffset = placement?.offset;
    this.own = placement ? undefined : new ArrayBuffer(Math.ceil(bytes / 8) * 8);
  }

  /** The memory the views index (the whole WASM memory for arena buffers) and where this buffer starts in it. */
  get data(): ArrayBufferLike {
    return this.own ?? this.arena!.memory.buffer;
  }

  get byteOffset(): number {
    return this.wasmOffset ?? 0;
  }

  private view<T>(make: (buffer: ArrayBufferLike, byteOffset: number, bytes: number) => T): T {
    return make(this.data, this.byteOffset, Math.ceil(this.bytes / 8) * 8);
  }

  /** Cached views go stale when an unshared WASM memory grows (its buffer is replaced). */
  private fresh(): void {
    if (this.arena && this.generation !== this.arena.generation) {
      this.generation = this.arena.generation;
      this.f32 = this.i32 = this.u16 = this.i8 = this.u8 = undefined;
    }
  }

  get float32(): Float32Array {
    this.fresh();
    return (this.f32 ??= this.view((b, o, n) => new Float32Array(b, o, n / 4)));
  }
  get int32(): Int32Array {
    this.fresh();
    return (this.i32 ??= this.view((b, o, n) => new Int32Array(b, o, n / 4)));
  }
  /** float16 storage: IEEE half bits. */
  get uint16(): Uint16Array {
    this.fresh();
    return (this.u16 ??= this.view((b, o, n) => new Uint16Array(b, o, n / 2)));
  }
  get int8(): Int8Array {
    this.fresh();
    return (this.i8 ??= this.view((b, o, n) => new Int8Array(b, o, n)));
  }
  get uint8(): Uint8Array {
    this.fresh();
    return (this.u8 ??= this.view((b, o, n) => new Uint8Array(b, o, n)));
  }
}

export interface CpuDeviceOptions {
  /** Largest single buffer, in bytes (default 2^31 - 1). */
  readonly maxBufferBytes?: number;
  /** Total bytes the device may hold at once (default Infinity). */
  readonly totalMemoryBytes?: number;
  /**
   * Threads that share large kernels, the calling thread included (default: the host's cores —
   * os.availableParallelism() in Node, navigator.hardwareConcurrency in a cross-origin-isolated
   * page — and 1 wherever shared memory is unavailable or wasm is off).
   */
  readonly threads?: number;
  /** Run the WebAssembly SIMD kernels (default true); false keeps every op on the TypeScript reference kernels. */
  readonly wasm?: boolean;
}

/** Defaults a host can set without code (Node environment variables): POLYCHIP_CPU_WASM=0, POLYCHIP_CPU_THREADS=n. */
function environmentDefault(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

const describeViews = describeTensors;

/** What the WASM kernels of one device use: the shared runtime and the device's share of worker threads. */
export interface FastPath {
  readonly runtime: WasmRuntime;
  readonly pool: WorkerPool | undefined;
  /** Participants in a parallel kernel, the calling thread included. */
  readonly threads: number;
}

/**
 * The cpu device. Kernels run synchronously on the calling thread — fanning out to worker threads
 * inside a launch and joining before it returns — so the queue is trivially in order.
 */
export class CpuDevice extends BaseDevice<CpuBuffer> implements Device<CpuBuffer> {
  readonly info: DeviceInfo;
  readonly capabilities: Capabilities;
  /** The WASM runtime and threads, or undefined when the device runs the reference kernels only. */
  readonly fast: FastPath | undefined;
  private sink: EventSink | undefined;
  private disposed = false;
  /** Arena blocks not yet freed, by offset; dispose returns them. */
  private readonly arenaBlocks = new Map<number, ArenaBlock>();

  constructor(options: CpuDeviceOptions = {}) {
    super();
    const wasm = options.wasm ?? environmentDefault("POLYCHIP_CPU_WASM") !== "0";
    const requested = options.threads ?? (environmentDefault("POLYCHIP_CPU_THREADS") ? Number(environmentDefault("POLYCHIP_CPU_THREADS")) : undefined);
    if (requested !== undefined && !(Number.isInteger(requested) && requested >= 1)) {
      throw new DeviceError(`cpu: threads must be a positive integer, got ${requested}`);
    }
    const runtime = wasm ? WasmRuntime.get() : undefined;
    if (runtime) {
      const threads = runtime.shared ? (requested ?? hostCores()) : 1;
      const pool = runtime.acquirePool(threads);
      this.fast = { runtime, pool, threads: pool ? pool.participants : 1 };
    }
    this.info = {
      name: "cpu",
      vendor: "Polychip",
      kind: "cpu",
      halVersion: HAL_VERSION,
      details: { threads: this.fast?.threads ?? 1, wasm: this.fast !== undefined, ...(this.fast ? { fma: this.fast.runtime.fma } : {}) },
    };
    this.capabilities = {
      dtypes: DTYPES,
      limits: {
        maxBufferBytes: options.maxBufferBytes ?? 2 ** 31 - 1,
        totalMemoryBytes: options.totalMemoryBytes ?? Infinity,
      },
      features: ["strided-inputs"],
    };
  }

  protected createBuffer(bytes: number): CpuBuffer {
    return this.allocArena(bytes) ?? new CpuBuffer(bytes);
  }

  protected unusableReason(): string | undefined {
    return this.disposed ? "the device was disposed" : undefined;
  }

  /** A block of the WASM memory, or undefined (wasm off, or the memory cannot grow) so the caller uses an ArrayBuffer. */
  private allocArena(bytes: number): CpuBuffer | undefined {
    const arena = this.fast?.runtime.arena;
    if (!arena) return undefined;
    const block = arena.allocBlock(Math.ceil(bytes / 8) * 8);
    if (block === undefined) return undefined;
    const { offset } = block;
    const buffer = new CpuBuffer(bytes, { arena, offset });
    buffer.needsZero = block.dirty;
    // No finalizer: registering every buffer with a FinalizationRegistry would triple the cost of an
    // allocation. Blocks come back through free (the engine frees every buffer) or dispose.
    this.arenaBlocks.set(offset, { arena, offset, bytes: Math.ceil(bytes / 8) * 8 });
    return buffer;
  }

  /** Zeroes a reused block the first time anything but a whole-buffer overwrite touches it. */
  private settle(buffer: CpuBuffer): void {
    if (!buffer.needsZero) return;
    buffer.needsZero = false;
    this.fast!.runtime.call("zeroF32", buffer.wasmOffset!, Math.ceil(buffer.bytes / 8) * 2);
  }

  /** A kernel output that covers its whole buffer is about to be overwritten: no need to zero it first. */
  private settleOutput(view: TensorView<CpuBuffer>): void {
    const buffer = view.buffer;
    if (!buffer.needsZero) return;
    if (view.offset === 0 && sizeOf(view.shape) * dtypeBytes(view.dtype) >= buffer.bytes && isContiguous(view.shape, view.strides)) buffer.needsZero = false;
    else this.settle(buffer);
  }

  protected releaseBuffer(buffer: CpuBuffer): void {
    if (buffer.wasmOffset === undefined) return;
    const block = this.arenaBlocks.get(buffer.wasmOffset);
    if (!block) return;
    this.arenaBlocks.delete(block.offset);
    block.arena.free(block.offset, block.bytes);
  }

  write(buffer: CpuBuffer, data: Uint8Array, byteOffset = 0): void {
    this.checkAlive();
    this.checkRange("write", buffer, byteOffset, data.byteLength);
    if (byteOffset === 0 && data.byteLength >= buffer.bytes) buffer.needsZero = false;
    else this.settle(buffer);
    buffer.uint8.set(data, byteOffset);
  }

  read(buffer: CpuBuffer, byteOffset: number, byteLength: number): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.readSync(buffer, byteOffset, byteLength));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readSync(buffer: CpuBuffer, byteOffset: number, byteLength: number): Uint8Array {
    this.checkAlive();
    this.checkRange("read", buffer, byteOffset, byteLength);
    this.settle(buffer);
    return buffer.uint8.slice(byteOffset, byteOffset + byteLength);
  }

  protected runKernel(kernel: KernelFn<CpuBuffer>, call: KernelCall<CpuBuffer>): void {
    for (const v of call.inputs) this.settle(v.buffer);
    for (const v of call.outputs) this.settleOutput(v);
    const start = this.sink ? performance.now() : 0;
    kernel(call, this);
    if (this.sink) {
      const first = call.inputs[0] ?? call.outputs[0];
      this.sink({
        device: "cpu",
        name: call.op,
        category: "kernel",
        start,
        duration: performance.now() - start,
        // The engine always installs a sink, but only a recording profiler reads the shapes: format them on demand.
        args: {
          get shapes() {
            return `${describeViews(call.inputs)} -> ${describeViews(call.outputs)}`;
          },
          dtype: first?.dtype ?? "",
          // A fused kernel names its member ops, as on webgpu.
          ...(call.op === "fused" ? { ops: fusedMemberOps(call.attrs) } : {}),
        },
      });
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Set by the plugin's create() (index.ts): the code generated for a fused program, for reports. */
  kernelSource?: (op: string, inputs: readonly TensorMeta[], attrs: Attrs) => string | undefined;

  setEventSink(sink: EventSink | undefined): void {
    this.sink = sink;
  }

  /** Returns the device's WASM memory and, if it was the pool's last user, stops the worker threads (resolves once they have exited). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.sink = undefined;
    for (const block of this.arenaBlocks.values()) block.arena.free(block.offset, block.bytes);
    this.arenaBlocks.clear();
    if (this.fast?.pool) await this.fast.runtime.releasePool(this.fast.pool);
  }
}

function fusedMemberOps(attrs: KernelCall["attrs"]): string {
  try {
    return parseFusedProgram(attrs)
      .steps.flatMap((st) => (st.op === "const" ? [] : [st.op]))
      .join(" ");
  } catch {
    return "";
  }
}
