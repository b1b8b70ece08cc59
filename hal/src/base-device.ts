import type { Capabilities, DeviceBuffer, DeviceInfo, KernelCall, KernelFn } from "./device.ts";
import { DeviceError, KernelError, OutOfMemoryError, PolychipError } from "./errors.ts";
import { describeTensors } from "./shape.ts";

/** "add(float32[2, 3], float32[3]) -> float32[2, 3]": one launch, as error messages name it. */
export function describeCall(call: Pick<KernelCall, "op" | "inputs" | "outputs">): string {
  return `${call.op}(${describeTensors(call.inputs)}) -> ${describeTensors(call.outputs)}`;
}

/** A buffer the base device can account for: its size and whether it was freed. */
export interface AccountedBuffer extends DeviceBuffer {
  freed: boolean;
}

/**
 * The bookkeeping every device repeats, written once (tinygrad's Allocator is the model): memory
 * accounting against `capabilities.limits` with OutOfMemoryError naming requested and free bytes,
 * double frees ignored, bounds-checked transfers, a refusal after dispose or loss, and kernel
 * errors wrapped as KernelError naming device, op, shapes and dtypes. A device supplies storage
 * (`createBuffer`, `releaseBuffer`) and runs kernels (`runKernel`); the rest of the Device
 * contract (write, read, sync) stays its own.
 */
export abstract class BaseDevice<B extends AccountedBuffer> {
  abstract readonly info: DeviceInfo;
  abstract readonly capabilities: Capabilities;
  /** What users call this device's memory in messages ("DRAM", "host memory"). */
  protected memoryName = "memory";
  private used = 0;

  /** Bytes allocated and not yet freed. */
  get bytesInUse(): number {
    return this.used;
  }

  get bytesFree(): number {
    return this.capabilities.limits.totalMemoryBytes - this.used;
  }

  /** New storage of `bytes` bytes; a host refusal should throw (it becomes an OutOfMemoryError). */
  protected abstract createBuffer(bytes: number): B;
  /** Gives storage back; called once per buffer. */
  protected abstract releaseBuffer(buffer: B): void;
  /** Runs one kernel; errors that are not PolychipErrors are wrapped by `launch`. */
  protected abstract runKernel(kernel: KernelFn<B>, call: KernelCall<B>): void;
  /** Why the device can no longer be used (disposed, lost), or undefined while it can. */
  protected abstract unusableReason(): string | undefined;

  alloc(bytes: number): B {
    this.checkAlive();
    const name = this.info.name;
    if (!Number.isInteger(bytes) || bytes < 0) throw new DeviceError(`${name}: cannot allocate ${bytes} bytes: the size must be a non-negative integer`);
    const { maxBufferBytes, totalMemoryBytes } = this.capabilities.limits;
    if (this.used + bytes > totalMemoryBytes) {
      throw new OutOfMemoryError(
        `${name}: cannot allocate ${bytes} bytes of ${this.memoryName}: ${totalMemoryBytes - this.used} bytes free of ${totalMemoryBytes}`,
      );
    }
    if (bytes > maxBufferBytes) throw new OutOfMemoryError(`${name}: cannot allocate ${bytes} bytes: the largest buffer is ${maxBufferBytes} bytes`);
    let buffer: B;
    try {
      buffer = this.createBuffer(bytes);
    } catch (err) {
      if (err instanceof PolychipError) throw err;
      throw new OutOfMemoryError(`${name}: cannot allocate ${bytes} bytes of ${this.memoryName}: the host refused (${(err as Error)?.message ?? err})`);
    }
    this.used += bytes;
    return buffer;
  }

  free(buffer: B): void {
    // A second free is ignored so that a finalizer racing an explicit dispose cannot corrupt the count.
    if (buffer.freed) return;
    buffer.freed = true;
    this.used -= buffer.bytes;
    this.releaseBuffer(buffer);
  }

  launch(kernel: KernelFn<B>, call: KernelCall<B>): void {
    this.checkAlive();
    try {
      this.runKernel(kernel, call);
    } catch (err) {
      if (err instanceof PolychipError) throw err;
      throw new KernelError(`${this.info.name}: kernel ${describeCall(call)} failed: ${(err as Error)?.message ?? err}`, err);
    }
  }

  protected checkAlive(): void {
    const reason = this.unusableReason();
    if (reason !== undefined) throw new DeviceError(`${this.info.name}: ${reason}`);
  }

  /** A transfer of bytes [byteOffset, byteOffset + byteLength) must stay inside a live buffer. */
  protected checkRange(what: string, buffer: B, byteOffset: number, byteLength: number): void {
    if (buffer.freed) throw new DeviceError(`${this.info.name}: ${what} of a freed buffer`);
    if (!(Number.isInteger(byteOffset) && byteOffset >= 0 && byteLength >= 0 && byteOffset + byteLength <= buffer.bytes)) {
      throw new DeviceError(`${this.info.name}: ${what} of bytes [${byteOffset}, ${byteOffset + byteLength}) is outside a buffer of ${buffer.bytes} bytes`);
    }
  }
}
