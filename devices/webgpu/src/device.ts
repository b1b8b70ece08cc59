/// <reference types="@webgpu/types" preserve="true" />
import {
  BaseDevice,
  DeviceError,
  HAL_VERSION,
  KernelError,
  OutOfMemoryError,
  ShapeError,
  describeTensors,
  type Capabilities,
  type Device,
  type DeviceInfo,
  type DType,
  type EventSink,
  type KernelCall,
  type KernelFn,
  type ProfileEvent,
  type Attrs,
  type TensorMeta,
} from "@polychip/hal";
import { WebGpuBuffer } from "./runtime/buffer.ts";
import { epilogueShaderSource } from "./kernels/epilogue.ts";
import { fusedShaderSource } from "./kernels/fused.ts";
import { BufferPool } from "./runtime/buffer-pool.ts";
import type { DispatchSpec, Dispatcher } from "./runtime/dispatch.ts";
import { BufferUsage, MapMode, align4 } from "./runtime/gpu-constants.ts";
import { loadGpu } from "./runtime/gpu-loader.ts";
import { requestGpuDevice } from "./runtime/request-device.ts";
import { ParamArena } from "./runtime/param-arena.ts";
import { PipelineCache } from "./runtime/pipeline-cache.ts";
import { mergeBytesKernel } from "./runtime/merge-bytes.ts";
import { AsyncErrors } from "./runtime/async-errors.ts";
import { KernelFaults, type FaultSpec } from "./runtime/kernel-faults.ts";
import { CommandRecorder } from "./runtime/recorder.ts";

export interface WebGpuDeviceOptions {
  /** Kernel launches recorded before a submit (default 64); reads and sync submit earlier. */
  readonly batchSize?: number;
  /** Use timestamp queries for kernel times when the adapter has them (default true); otherwise wall clock per submit. */
  readonly timestamps?: boolean;
  /** Idle bytes the buffer pool keeps for reuse (default 256 MiB). */
  readonly poolBytes?: number;
  /** Total bytes the device may hold at once (default Infinity: the browser or driver decides). */
  readonly totalMemoryBytes?: number;
  /** Lower the adapter's limits (to plan for smaller GPUs, or to test limit handling). */
  readonly limits?: {
    readonly maxBufferBytes?: number;
    readonly maxBindingBytes?: number;
    readonly maxWorkgroupsPerDimension?: number;
    readonly maxStorageBuffersPerStage?: number;
  };
}

export interface WebGpuCreateOptions extends WebGpuDeviceOptions {
  /** A GPU object to use instead of navigator.gpu (browser) or Dawn (Node). */
  readonly gpu?: GPU;
  readonly powerPreference?: GPUPowerPreference;
}

export interface WebGpuStats {
  /** Kernel launches (HAL calls) and GPU dispatches (a launch may record several). */
  launches: number;
  dispatches: number;
  submits: number;
  uploads: number;
  readbacks: number;
  /** Reads and syncs that also copied back the fault record (only those after a kernel that can fault). */
  faultChecks: number;
}

/** Every dtype, held in 32-bit words: float16 two to a word, the 1-byte types four to a word (see wgsl/dtypes.ts). */
const DTYPES: readonly DType[] = ["float32", "float16", "int32", "int8", "uint8", "bool"];
const FEATURE_NAMES: Record<string, string> = { "shader-f16": "f16", subgroups: "subgroups", "timestamp-query": "timestamps" };
const PARAM_ARENA_BYTES = 64 * 1024;

const describeViews = describeTensors;

function errorName(err: unknown): string {
  return (err as { constructor?: { name?: string } })?.constructor?.name ?? "";
}

/**
 * The HAL device over WebGPU. Work is recorded into one open command encoder and submitted when a
 * batch fills, or when `read`/`sync` needs results, so a training step costs a few submits rather
 * than one per kernel. GPU errors arrive asynchronously: they are kept and thrown by the next
 * `read` or `sync`, and after device loss every call throws a DeviceError saying why.
 */
export class WebGpuDevice extends BaseDevice<WebGpuBuffer> implements Device<WebGpuBuffer>, Dispatcher {
  readonly info: DeviceInfo;
  readonly capabilities: Capabilities;
  readonly stats: WebGpuStats = { launches: 0, dispatches: 0, submits: 0, uploads: 0, readbacks: 0, faultChecks: 0 };
  readonly pipelines: PipelineCache;
  readonly maxWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerStage: number;
  /** A CPU-emulated adapter (SwiftShader): no idle cores to fill, so kernels pick the cheapest tiling, not the widest. */
  readonly softwareAdapter: boolean;
  private readonly maxBindingBytes: number;
  private readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly arena: ParamArena;
  private readonly recorder: CommandRecorder;
  private readonly errors = new AsyncErrors();
  private readonly faults: KernelFaults;
  private readonly timestampsWanted: boolean;
  private readonly hasTimestamps: boolean;
  private sink: EventSink | undefined;
  private lostReason: string | undefined;
  /** The call being launched, so its dispatches' profile events can show its shapes. */
  private launching: KernelCall<WebGpuBuffer> | undefined;

  static async create(options: WebGpuCreateOptions = {}): Promise<WebGpuDevice> {
    const { device, adapterInfo } = await requestGpuDevice(options.gpu ?? (await loadGpu()), options.powerPreference ?? "high-performance");
    return new WebGpuDevice(device, adapterInfo, options);
  }

  constructor(
    /** The underlying GPUDevice (tests destroy it to simulate loss). */
    readonly gpu: GPUDevice,
    adapterInfo?: GPUAdapterInfo,
    options: WebGpuDeviceOptions = {},
  ) {
    super();
    const l = gpu.limits;
    const maxBufferBytes = Math.min(l.maxBufferSize, options.limits?.maxBufferBytes ?? Infinity);
    this.maxBindingBytes = Math.min(l.maxStorageBufferBindingSize, options.limits?.maxBindingBytes ?? Infinity);
    this.maxWorkgroupsPerDimension = Math.min(l.maxComputeWorkgroupsPerDimension, options.limits?.maxWorkgroupsPerDimension ?? Infinity);
    this.maxStorageBuffersPerStage = Math.min(l.maxStorageBuffersPerShaderStage, options.limits?.maxStorageBuffersPerStage ?? Infinity);
    this.hasTimestamps = gpu.features.has("timestamp-query");
    this.timestampsWanted = options.timestamps ?? true;
    const features = [...gpu.features].filter((f) => FEATURE_NAMES[f]).map((f) => FEATURE_NAMES[f]!);
    this.capabilities = {
      dtypes: DTYPES,
      limits: {
        maxBufferBytes,
        totalMemoryBytes: options.totalMemoryBytes ?? Infinity,
        maxBindingBytes: this.maxBindingBytes,
        maxWorkgroupSize: l.maxComputeInvocationsPerWorkgroup,
        maxWorkgroupsPerDimension: this.maxWorkgroupsPerDimension,
      },
      features: features.sort(),
    };
    const details: Record<string, string | number | boolean> = { timestamps: this.hasTimestamps };
    for (const k of ["vendor", "architecture", "device", "description"] as const) {
      const v = adapterInfo?.[k];
      if (v) details[k] = v;
    }
    this.softwareAdapter =
      adapterInfo?.architecture === "swiftshader" || (adapterInfo as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
    this.info = { name: "webgpu", vendor: adapterInfo?.vendor || "unknown", kind: "gpu", halVersion: HAL_VERSION, details };
    const storageUsage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const destroyAfterBatch = (buffer: GPUBuffer) => {
      if (this.recorder.recording) this.recorder.afterNextSubmit(() => buffer.destroy());
      else buffer.destroy();
    };
    this.storage = new BufferPool(gpu, storageUsage, "polychip tensor", options.poolBytes ?? 256 * 2 ** 20, maxBufferBytes, destroyAfterBatch);
    this.staging = new BufferPool(gpu, BufferUsage.MAP_READ | BufferUsage.COPY_DST, "polychip readback", 64 * 2 ** 20, maxBufferBytes);
    this.arena = new ParamArena(gpu, PARAM_ARENA_BYTES, Math.max(256, l.minUniformBufferOffsetAlignment));
    this.recorder = new CommandRecorder(gpu, this.staging, this.arena, Math.max(1, options.batchSize ?? 64), {
      submitted: () => this.stats.submits++,
      track: (p) => this.errors.track(p),
      emit: (e) => this.emit(e),
    });
    this.faults = new KernelFaults(gpu);
    this.pipelines = new PipelineCache(gpu, (key, ms, error, code) => {
      this.emit({ device: "webgpu", name: key, category: "compile", start: performance.now() - ms, duration: ms, args: { key } });
      this.errors.track(
        error.then((e) => {
          if (e) this.errors.fail(new KernelError(`webgpu: compiling kernel '${key}' failed: ${e.message}\n--- WGSL ---\n${code}`));
        }),
      );
    });
    gpu.lost.then((info) => {
      this.lostReason ??= `${info.reason}${info.message ? `: ${info.message}` : ""}`;
    });
    gpu.addEventListener("uncapturederror", (event) => {
      const err = (event as GPUUncapturedErrorEvent).error;
      this.errors.fail(
        errorName(err) === "GPUOutOfMemoryError"
          ? new OutOfMemoryError(`webgpu: the GPU ran out of memory: ${err.message}`)
          : new DeviceError(`webgpu: GPU error: ${err.message}`),
      );
    });
  }

  // ---- memory ----------------------------------------------------------------------------

  get poolStats(): { storage: BufferPool["stats"]; staging: BufferPool["stats"] } {
    return { storage: this.storage.stats, staging: this.staging.stats };
  }

  protected createBuffer(bytes: number): WebGpuBuffer {
    this.gpu.pushErrorScope("out-of-memory");
    const gpu = this.storage.acquire(bytes);
    this.errors.track(
      this.gpu.popErrorScope().then((e) => {
        if (e) {
          this.storage.trim();
          this.errors.fail(new OutOfMemoryError(`webgpu: allocating ${bytes} bytes failed: ${e.message}`));
        }
      }),
    );
    return new WebGpuBuffer(bytes, gpu);
  }

  override free(buffer: WebGpuBuffer): void {
    // After loss the memory went with the device: freeing is a no-op rather than an error, because
    // engines free from finalizers and cleanup paths that must not throw.
    if (this.lostReason === undefined) super.free(buffer);
  }

  /** Safe to hand out again at once: whoever gets it next records its work after the work queued so far. */
  protected releaseBuffer(buffer: WebGpuBuffer): void {
    this.storage.release(buffer.gpu);
  }

  /** A buffer for the current batch only; it returns to the pool when the batch is submitted. */
  scratch(bytes: number): WebGpuBuffer {
    const buffer = new WebGpuBuffer(bytes, this.storage.acquire(bytes));
    this.recorder.afterNextSubmit(() => this.storage.release(buffer.gpu));
    return buffer;
  }

  // ---- transfers -------------------------------------------------------------------------

  write(buffer: WebGpuBuffer, data: Uint8Array, byteOffset = 0): void {
    this.checkAlive();
    this.checkRange("write", buffer, byteOffset, data.byteLength);
    const len = data.byteLength;
    if (len === 0) return;
    this.stats.uploads++;
    const start = performance.now();
    const reachesEnd = byteOffset + len >= buffer.bytes;
    if (byteOffset % 4 === 0 && (len % 4 === 0 || reachesEnd)) {
      // The bytes past a buffer's requested size are padding, so the tail write may round up.
      let words = data;
      if (len % 4 !== 0) {
        words = new Uint8Array(align4(len));
        words.set(data);
      }
      this.upload(buffer.gpu, byteOffset, words);
    } else {
      this.writeUnaligned(buffer, data, byteOffset);
    }
    this.emit({ device: "webgpu", name: "write", category: "transfer", start, duration: performance.now() - start, args: { bytes: len } });
  }

  async read(buffer: WebGpuBuffer, byteOffset: number, byteLength: number): Promise<Uint8Array> {
    this.checkAlive();
    this.checkRange("read", buffer, byteOffset, byteLength);
    if (byteLength === 0) {
      // Nothing to copy, but a fault must still surface here (an empty gather checks its indices), not at a later read.
      if (this.faults.pending) await this.sync();
      return new Uint8Array(0);
    }
    this.stats.readbacks++;
    const start = performance.now();
    const first = byteOffset - (byteOffset % 4);
    const size = align4(byteOffset + byteLength) - first;
    const staging = this.staging.acquire(size);
    this.recorder.copy(buffer.gpu, first, staging, 0, size);
    const faults = this.collectFaults();
    this.flush();
    try {
      await staging.mapAsync(MapMode.READ, 0, size);
    } catch (err) {
      this.checkAlive();
      throw new DeviceError(`webgpu: reading ${byteLength} bytes back failed: ${(err as Error).message}`);
    }
    const bytes = new Uint8Array(staging.getMappedRange(0, size)).slice(byteOffset - first, byteOffset - first + byteLength);
    staging.unmap();
    this.staging.release(staging);
    await this.settle(faults);
    this.emit({ device: "webgpu", name: "read", category: "transfer", start, duration: performance.now() - start, args: { bytes: byteLength } });
    return bytes;
  }

  private upload(target: GPUBuffer, offset: number, words: Uint8Array): void {
    if (!this.recorder.recording) {
      // Nothing recorded yet, so a queue write lands after all submitted work and before the next batch.
      this.gpu.queue.writeBuffer(target, offset, words as Uint8Array<ArrayBuffer>);
      return;
    }
    // Recorded work not yet submitted may still read the old contents: copy in order, inside the batch.
    const source = this.gpu.createBuffer({ size: words.byteLength, usage: BufferUsage.COPY_SRC, mappedAtCreation: true, label: "polychip upload" });
    new Uint8Array(source.getMappedRange()).set(words);
    source.unmap();
    this.recorder.copy(source, 0, target, offset, words.byteLength);
    this.recorder.afterNextSubmit(() => source.destroy());
  }

  /** Writes whose ends are not 32-bit aligned: upload the covering words, then merge only the written bytes on the GPU. */
  private writeUnaligned(buffer: WebGpuBuffer, data: Uint8Array, byteOffset: number): void {
    const first = byteOffset - (byteOffset % 4);
    const end = align4(byteOffset + data.byteLength);
    const words = new Uint8Array(end - first);
    words.set(data, byteOffset - first);
    const source = this.scratch(words.byteLength);
    this.upload(source.gpu, 0, words);
    mergeBytesKernel(this, source, buffer, first / 4, words.byteLength / 4, byteOffset, byteOffset + data.byteLength);
  }

  // ---- kernels -----------------------------------------------------------------------------

  protected runKernel(kernel: KernelFn<WebGpuBuffer>, call: KernelCall<WebGpuBuffer>): void {
    this.stats.launches++;
    this.launching = call;
    try {
      kernel(call, this);
    } finally {
      this.launching = undefined;
    }
  }

  dispatch(spec: DispatchSpec): void {
    this.checkAlive();
    const groups = this.grid(spec);
    for (const [role, list] of [
      ["input", spec.reads],
      ["output", spec.writes],
    ] as const) {
      list.forEach((b, i) => {
        if (b.freed) throw new KernelError(`webgpu: ${spec.op}: ${role} ${i} uses a freed buffer`);
        if (b.bindingBytes > this.maxBindingBytes) {
          throw new OutOfMemoryError(
            `webgpu: ${spec.op}: ${role} ${i} is a buffer of ${b.bytes} bytes, more than one kernel may bind ` +
              `(maxStorageBufferBindingSize = ${this.maxBindingBytes} bytes)`,
          );
        }
      });
    }
    const key = `${spec.key}|${spec.params.signature}`;
    const { pipeline, layout } = this.pipelines.get(key, spec.wgsl);
    const words = spec.params.data();
    if (words.byteLength > this.arena.capacity)
      throw new KernelError(`webgpu: ${spec.op}: ${words.byteLength} bytes of parameters do not fit a uniform buffer`);
    let offset = this.arena.push(words);
    if (offset === undefined) {
      this.flush();
      offset = this.arena.push(words)!;
    }
    // A kernel reading the buffer it writes (an in-place copy) reads a snapshot, as WebGPU forbids aliasing a writable binding.
    const reads = spec.reads.map((b) => {
      if (!spec.writes.includes(b)) return b;
      const copy = this.scratch(b.bytes);
      this.recorder.copy(b.gpu, 0, copy.gpu, 0, b.bindingBytes);
      return copy;
    });
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.arena.buffer, offset, size: words.byteLength } }];
    [...reads, ...spec.writes].forEach((b, i) => entries.push({ binding: i + 1, resource: { buffer: b.gpu, offset: 0, size: b.bindingBytes } }));
    if (spec.faults) entries.push({ binding: entries.length, resource: { buffer: this.faults.buffer } });
    const bindGroup = this.gpu.createBindGroup({ layout, entries });

    const args = this.sink ? this.profileArgs(spec) : undefined;
    const timestamped = this.sink !== undefined && this.hasTimestamps && this.timestampsWanted;
    const pass = timestamped ? this.recorder.timedPass({ name: spec.op, args }) : this.recorder.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (timestamped) this.recorder.endPass();
    this.stats.dispatches++;
    if (this.sink && !timestamped) this.recorder.submitTimedByClock(spec.op, args);
    else this.recorder.launched();
  }

  private grid(spec: DispatchSpec): [number, number, number] {
    const max = this.maxWorkgroupsPerDimension;
    let groups: [number, number, number];
    if (typeof spec.workgroups === "number") {
      const n = Math.max(1, spec.workgroups);
      const x = Math.min(n, max);
      groups = [x, Math.ceil(n / x), 1];
    } else {
      groups = [...spec.workgroups] as [number, number, number];
    }
    if (groups.some((g) => g > max)) {
      throw new ShapeError(
        `webgpu: ${spec.op}: needs a grid of ${groups.join(" x ")} workgroups, more than the ${max} per dimension the adapter allows ` +
          `(maxComputeWorkgroupsPerDimension)`,
      );
    }
    return groups;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    this.recorder.submit();
  }

  private profileArgs(spec: DispatchSpec): Record<string, string | number | boolean> {
    const call = this.launching;
    const args: Record<string, string | number | boolean> = { ...spec.args };
    if (call) args.shapes = `${describeViews(call.inputs)} -> ${describeViews(call.outputs)}`;
    return args;
  }

  async sync(): Promise<void> {
    this.checkAlive();
    const start = performance.now();
    const faults = this.collectFaults();
    this.flush();
    try {
      await this.gpu.queue.onSubmittedWorkDone();
    } catch (err) {
      this.checkAlive();
      throw new DeviceError(`webgpu: waiting for the queue failed: ${(err as Error).message}`);
    }
    await this.settle(faults);
    this.emit({ device: "webgpu", name: "sync", category: "sync", start, duration: performance.now() - start });
  }

  // ---- profiling, errors, lifetime ----------------------------------------------------------

  /** The WGSL generated for a fused program (what `polychip compile --report` prints). */
  kernelSource(op: string, inputs: readonly TensorMeta[], attrs: Attrs): string | undefined {
    return op === "fused" ? fusedShaderSource(attrs, inputs) : epilogueShaderSource(op, inputs, attrs);
  }

  setEventSink(sink: EventSink | undefined): void {
    this.flush();
    this.sink = sink;
  }

  private emit(event: ProfileEvent): void {
    this.sink?.(event);
  }

  /**
   * Waits for outstanding error checks, then throws the first GPU error seen since the last report,
   * else the first fault a kernel recorded (read back by `faults`, from KernelFaults.collect).
   */
  private async settle(faults?: () => Promise<Error | undefined>): Promise<void> {
    let fault: Error | undefined;
    try {
      fault = await faults?.();
    } catch (err) {
      this.checkAlive();
      throw new DeviceError(`webgpu: reading the kernels' fault record back failed: ${(err as Error).message}`);
    }
    await this.errors.settle(() => this.checkAlive());
    if (fault) throw fault;
  }

  private collectFaults(): (() => Promise<Error | undefined>) | undefined {
    const check = this.faults.collect(this.recorder, this.staging);
    if (check) this.stats.faultChecks++;
    return check;
  }

  faultCode(spec: FaultSpec): number {
    return this.faults.codeFor(spec, this.launching?.origin);
  }

  /** Fault codes in use until the next read or sync (one per node and kind of fault launched since the last); tests check it stays bounded. */
  get faultCodes(): number {
    return this.faults.size;
  }

  protected unusableReason(): string | undefined {
    return this.lostReason === undefined ? undefined : `the device was lost (${this.lostReason}); create a new device to continue`;
  }

  get isLost(): boolean {
    return this.lostReason !== undefined;
  }

  dispose(): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = "disposed by its owner";
    this.recorder.discard();
    this.storage.trim();
    this.staging.trim();
    this.pipelines.clear();
    this.gpu.destroy();
  }
}
