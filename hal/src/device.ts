import type { DType } from "./dtype.ts";
import type { Shape } from "./shape.ts";
import type { TensorMeta } from "./ops/types.ts";

/** A block of device memory. Devices subclass it to carry their own handle (an ArrayBuffer, a GPUBuffer, a DRAM address). */
export interface DeviceBuffer {
  readonly device: string;
  readonly bytes: number;
}

/** A strided window on a buffer: what a kernel reads or writes. Offsets and strides count elements, not bytes. */
export interface TensorView<B extends DeviceBuffer = DeviceBuffer> {
  readonly buffer: B;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

export type AttrValue = number | boolean | string | readonly number[] | null;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** One launch of one op: inputs and pre-allocated outputs (contiguous, except `copy`'s destination). */
export interface KernelCall<B extends DeviceBuffer = DeviceBuffer> {
  readonly op: string;
  readonly inputs: readonly TensorView<B>[];
  readonly outputs: readonly TensorView<B>[];
  readonly attrs: Attrs;
  /**
   * Optional: what launched the call, as the engine names it in its errors (`node 4 (gather 'pick' →
   * %rows)`; undefined for eager ops). A device that reports an error of this launch only later, at
   * the next `read` or `sync` (a fault its kernel recorded on the device), prefixes the message with
   * it (`${origin}: ${message}`), so the error names the node as a throw at launch would. It travels
   * on the call, not through a device hook, because the engine's queue may launch a call later than
   * the node that made it ran. Devices that throw only at launch ignore it.
   */
  readonly origin?: string;
}

export type DeviceKind = "cpu" | "gpu" | "npu";

export interface DeviceInfo {
  /** Unique name the user selects it by: "cpu", "webgpu", "npu-sim". */
  readonly name: string;
  readonly vendor: string;
  readonly kind: DeviceKind;
  /** The HAL version the device was built against; checked when the device is registered. */
  readonly halVersion: string;
  /** Free-form facts worth showing a user (adapter, chip profile, thread count). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface DeviceLimits {
  /** Largest single buffer, in bytes. */
  readonly maxBufferBytes: number;
  /** Total memory the device can hold, in bytes (Infinity when unknown). */
  readonly totalMemoryBytes: number;
  /** Largest buffer bound to one kernel (WebGPU maxStorageBufferBindingSize), in bytes. */
  readonly maxBindingBytes?: number;
  /** Workgroup / tile limits a compiler must respect. */
  readonly maxWorkgroupSize?: number;
  readonly maxWorkgroupsPerDimension?: number;
}

export interface Capabilities {
  readonly dtypes: readonly DType[];
  readonly limits: DeviceLimits;
  /**
   * Optional features: "strided-inputs" (every kernel accepts arbitrary strided input views, not only
   * the elementwise family), "timestamps", "f16", "subgroups", "subgraph-compile".
   */
  readonly features: readonly string[];
}

/** Something the profiler shows. Times are milliseconds on the device's own clock, relative to `performance.now()` where possible. */
export interface ProfileEvent {
  readonly device: string;
  readonly name: string;
  readonly category: "kernel" | "transfer" | "fallback" | "sync" | "compile";
  readonly start: number;
  readonly duration: number;
  readonly args?: Readonly<Record<string, string | number | boolean>>;
}

export type EventSink = (event: ProfileEvent) => void;

/**
 * The device contract. Everything is queued in call order: `write`, kernel launches and `read`
 * on one device observe each other in that order. Only `read` and `sync` are asynchronous; the engine
 * never waits for a device except there.
 */
export interface Device<B extends DeviceBuffer = DeviceBuffer> {
  readonly info: DeviceInfo;
  readonly capabilities: Capabilities;
  /** Reserves `bytes` bytes. Throws OutOfMemoryError when the device cannot hold them. */
  alloc(bytes: number): B;
  /** Returns memory once queued work that uses it has finished. */
  free(buffer: B): void;
  /** Queues a host-to-device copy; the device copies `data` before returning, so the caller may reuse it. */
  write(buffer: B, data: Uint8Array, byteOffset?: number): void;
  /** Queues a device-to-host copy and resolves when the bytes are on the host. */
  read(buffer: B, byteOffset: number, byteLength: number): Promise<Uint8Array>;
  /** Optional, for devices whose memory the host can see (cpu): a synchronous read of finished work. */
  readSync?(buffer: B, byteOffset: number, byteLength: number): Uint8Array;
  /** Queues one kernel launch. `kernel` comes from the registry entry for this device. */
  launch(kernel: KernelFn<B>, call: KernelCall<B>): void;
  /** Resolves when all queued work has finished. */
  sync(): Promise<void>;
  /** Where the device sends its profiler events; the engine sets it. */
  setEventSink?(sink: EventSink | undefined): void;
  /**
   * Optional, for devices that generate code (a fused program's JavaScript or WGSL): the source it
   * would compile for `op` on inputs of these metas, or undefined when it runs no generated kernel
   * for it. For reports (`polychip compile --report`); never called on the hot path.
   */
  kernelSource?(op: string, inputs: readonly TensorMeta[], attrs: Attrs): string | undefined;
  /** Releases everything; the device is unusable afterwards. */
  dispose?(): void | Promise<void>;
}

/** A kernel: runs (or encodes) one op on one device. */
export type KernelFn<B extends DeviceBuffer = DeviceBuffer> = (call: KernelCall<B>, device: Device<B>) => void;
