import {
  BaseDevice,
  DeviceError,
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
 * bring-up. It supplies the whole Device contract except kernels: the HAL's BaseDevice does the
 * memory accounting, bounds checks and KernelError wrapping; this adds host storage, in-order
 * synchronous execution and a kernel profiler event per launch. Subclasses override `runKernel`
 * to time launches their own way (a simulated clock, say).
 */
export class HostDevice extends BaseDevice<HostBuffer> implements Device<HostBuffer> {
  private sink: EventSink | undefined;
  private disposed = false;

  constructor(
    readonly info: DeviceInfo,
    readonly capabilities: Capabilities,
    options: HostDeviceOptions = {},
  ) {
    super();
    this.memoryName = options.memoryName ?? "memory";
  }

  protected createBuffer(bytes: number): HostBuffer {
    return new HostBuffer(this.info.name, bytes);
  }

  protected releaseBuffer(): void {}

  protected unusableReason(): string | undefined {
    return this.disposed ? "the device was disposed" : undefined;
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

  override launch(kernel: KernelFn<HostBuffer>, call: KernelCall<HostBuffer>): void {
    for (const view of [...call.inputs, ...call.outputs]) {
      if (view.buffer.freed || view.buffer.device !== this.info.name) {
        throw new DeviceError(`${this.info.name}: ${describeCall(call)} uses a buffer that is freed or belongs to device '${view.buffer.device}'`);
      }
    }
    super.launch(kernel, call);
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
}
