import {
  DeviceError,
  KernelError,
  OutOfMemoryError,
  PolychipError,
  type Capabilities,
  type Device,
  type DeviceInfo,
  type EventSink,
  type KernelCall,
  type KernelFn,
  type ProfileEvent,
} from "@polychip/hal";
import { HostBuffer } from "./host-buffer.ts";
import { describeCall, kernelEvent } from "./profiler.ts";

/** What the user calls the device's memory in error messages ("DRAM", "host memory"). */
export interface HostDeviceOptions {
  readonly memoryName?: string;
}

/**
 * A device whose memory lives on the host: simulators, CPU-like accelerators, a plugin's first
 * bring-up. It supplies the whole Device contract except kernels: memory accounting against
 * `capabilities.limits` (OutOfMemoryError naming requested and free bytes), bounds-checked
 * write/read, in-order synchronous execution, KernelError wrapping that names device, op,
 * shapes and dtypes, and a kernel profiler event per launch. Subclasses override
 * `runKernel` to time launches their own way (a simulated clock, say).
 */
export class HostDevice implements Device<HostBuffer> {
  private used = 0;
  private sink: EventSink | undefined;
  private disposed = false;
  protected readonly memoryName: string;

  constructor(
    readonly info: DeviceInfo,
    readonly capabilities: Capabilities,
    options: HostDeviceOptions = {},
  ) {
    this.memoryName = options.memoryName ?? "memory";
  }

  get bytesInUse(): number {
    return this.used;
  }

  get bytesFree(): number {
    return this.capabilities.limits.totalMemoryBytes - this.used;
  }

  alloc(bytes: number): HostBuffer {
    this.checkAlive();
    const name = this.info.name;
    if (!Number.isInteger(bytes) || bytes < 0) throw new DeviceError(`${name}: cannot allocate ${bytes} bytes: the size must be a non-negative integer`);
    const { maxBufferBytes, totalMemoryBytes } = this.capabilities.limits;
    if (this.used + bytes > totalMemoryBytes) {
      throw new OutOfMemoryError(
        `${name}: cannot allocate ${bytes} bytes of ${this.memoryName}: ${totalMemoryBytes - this.used} bytes free of ${totalMemoryBytes}`,
      );
    }
    if (bytes > maxBufferBytes) {
      throw new OutOfMemoryError(`${name}: cannot allocate ${bytes} bytes: the largest buffer is ${maxBufferBytes} bytes`);
    }
    const buffer = new HostBuffer(name, bytes);
    this.used += bytes;
    return buffer;
  }

  free(buffer: HostBuffer): void {
    // A second free is ignored so a finalizer racing an explicit dispose cannot corrupt the count.
    if (buffer.freed) return;
    buffer.freed = true;
    this.used -= buffer.bytes;
  }

  write(buffer: HostBuffer, data: Uint8Array, byteOffset = 0): void {
    this.checkAlive();
    this.checkRange("write", buffer, byteOffset, data.byteLength);
    buffer.data.set(data, byteOffset);
    this.onTransfer("host-to-device", data.byteLength);
  }

  read(buffer: HostBuffer, byteOffset: number, byteLength: number): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.readSync(buffer, byteOffset, byteLength));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readSync(buffer: HostBuffer, byteOffset: number, byteLength: number): Uint8Array {
    this.checkAlive();
    this.checkRange("read", buffer, byteOffset, byteLength);
    const bytes = buffer.data.slice(byteOffset, byteOffset + byteLength);
    this.onTransfer("device-to-host", byteLength);
    return bytes;
  }

  launch(kernel: KernelFn<HostBuffer>, call: KernelCall<HostBuffer>): void {
    this.checkAlive();
    for (const view of [...call.inputs, ...call.outputs]) {
      if (view.buffer.freed || view.buffer.device !== this.info.name) {
        throw new DeviceError(`${this.info.name}: ${describeCall(call)} uses a buffer that is freed or belongs to device '${view.buffer.device}'`);
      }
    }
    try {
      this.runKernel(kernel, call);
    } catch (err) {
      if (err instanceof PolychipError) throw err;
      throw new KernelError(`${this.info.name}: kernel ${describeCall(call)} failed: ${(err as Error)?.message ?? err}`, err);
    }
  }

  /** Runs one kernel and reports it; the default times it on the host clock. */
  protected runKernel(kernel: KernelFn<HostBuffer>, call: KernelCall<HostBuffer>): void {
    const start = performance.now();
    kernel(call, this);
    if (this.sink) this.sink(kernelEvent(this.info.name, call, start, performance.now() - start));
  }

  /** Called after every write and read; simulators charge the host link here. */
  protected onTransfer(_direction: "host-to-device" | "device-to-host", _bytes: number): void {}

  sync(): Promise<void> {
    return this.disposed ? Promise.reject(new DeviceError(`${this.info.name}: the device was disposed`)) : Promise.resolve();
  }

  setEventSink(sink: EventSink | undefined): void {
    this.sink = sink;
  }

  /** Sends an event to the profiler, if one is listening. */
  protected emit(event: ProfileEvent): void {
    this.sink?.(event);
  }

  protected get profiling(): boolean {
    return this.sink !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.sink = undefined;
  }

  private checkAlive(): void {
    if (this.disposed) throw new DeviceError(`${this.info.name}: the device was disposed`);
  }

  private checkRange(what: string, buffer: HostBuffer, byteOffset: number, byteLength: number): void {
    if (buffer.freed) throw new DeviceError(`${this.info.name}: ${what} of a freed buffer`);
    if (!(byteOffset >= 0 && byteLength >= 0 && byteOffset + byteLength <= buffer.bytes)) {
      throw new DeviceError(`${this.info.name}: ${what} of bytes [${byteOffset}, ${byteOffset + byteLength}) is outside a buffer of ${buffer.bytes} bytes`);
    }
  }
}
