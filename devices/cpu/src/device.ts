import {
  DeviceError,
  DTYPES,
  formatShape,
  HAL_VERSION,
  KernelError,
  OutOfMemoryError,
  PolychipError,
  type Capabilities,
  type Device,
  type DeviceBuffer,
  type DeviceInfo,
  type EventSink,
  type KernelCall,
  type KernelFn,
  type TensorView,
} from "@polychip/hal";

/** Host memory owned by the CPU device. `data` is padded to a multiple of 8 bytes so every typed array can view it whole. */
export class CpuBuffer implements DeviceBuffer {
  readonly device = "cpu";
  readonly data: ArrayBuffer;
  freed = false;
  private f32?: Float32Array;
  private i32?: Int32Array;
  private u16?: Uint16Array;
  private i8?: Int8Array;
  private u8?: Uint8Array;

  constructor(readonly bytes: number) {
    this.data = new ArrayBuffer(Math.ceil(bytes / 8) * 8);
  }

  get float32(): Float32Array {
    return (this.f32 ??= new Float32Array(this.data));
  }
  get int32(): Int32Array {
    return (this.i32 ??= new Int32Array(this.data));
  }
  /** float16 storage: IEEE half bits. */
  get uint16(): Uint16Array {
    return (this.u16 ??= new Uint16Array(this.data));
  }
  get int8(): Int8Array {
    return (this.i8 ??= new Int8Array(this.data));
  }
  get uint8(): Uint8Array {
    return (this.u8 ??= new Uint8Array(this.data));
  }
}

export interface CpuDeviceOptions {
  /** Largest single buffer, in bytes (default 2^31 - 1). */
  readonly maxBufferBytes?: number;
  /** Total bytes the device may hold at once (default Infinity). */
  readonly totalMemoryBytes?: number;
}

function describeViews(views: readonly TensorView[]): string {
  return views.map((v) => `${v.dtype}${formatShape(v.shape)}`).join(", ");
}

/** The reference device: kernels run synchronously on the calling thread, so the queue is trivially in order. */
export class CpuDevice implements Device<CpuBuffer> {
  readonly info: DeviceInfo = { name: "cpu", vendor: "Polychip", kind: "cpu", halVersion: HAL_VERSION, details: { threads: 1 } };
  readonly capabilities: Capabilities;
  private inUse = 0;
  private sink: EventSink | undefined;
  private disposed = false;

  constructor(options: CpuDeviceOptions = {}) {
    this.capabilities = {
      dtypes: DTYPES,
      limits: {
        maxBufferBytes: options.maxBufferBytes ?? 2 ** 31 - 1,
        totalMemoryBytes: options.totalMemoryBytes ?? Infinity,
      },
      features: ["strided-inputs"],
    };
  }

  /** Bytes currently allocated and not yet freed. */
  get bytesInUse(): number {
    return this.inUse;
  }

  alloc(bytes: number): CpuBuffer {
    this.checkAlive();
    if (!Number.isInteger(bytes) || bytes < 0) throw new DeviceError(`cpu: cannot allocate ${bytes} bytes: size must be a non-negative integer`);
    const { maxBufferBytes, totalMemoryBytes } = this.capabilities.limits;
    if (bytes > maxBufferBytes) {
      throw new OutOfMemoryError(`cpu: cannot allocate ${bytes} bytes: the largest buffer is ${maxBufferBytes} bytes`);
    }
    if (this.inUse + bytes > totalMemoryBytes) {
      throw new OutOfMemoryError(
        `cpu: cannot allocate ${bytes} bytes: ${this.inUse} of ${totalMemoryBytes} bytes are in use (limit totalMemoryBytes)`,
      );
    }
    let buffer: CpuBuffer;
    try {
      buffer = new CpuBuffer(bytes);
    } catch (err) {
      throw new OutOfMemoryError(`cpu: cannot allocate ${bytes} bytes: the host refused (${(err as Error).message})`);
    }
    this.inUse += bytes;
    return buffer;
  }

  free(buffer: CpuBuffer): void {
    // A second free is ignored so that finalizers racing explicit disposal cannot corrupt the count.
    if (buffer.freed) return;
    buffer.freed = true;
    this.inUse -= buffer.bytes;
  }

  write(buffer: CpuBuffer, data: Uint8Array, byteOffset = 0): void {
    this.checkAlive();
    this.checkRange("write", buffer, byteOffset, data.byteLength);
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
    return buffer.uint8.slice(byteOffset, byteOffset + byteLength);
  }

  launch(kernel: KernelFn<CpuBuffer>, call: KernelCall<CpuBuffer>): void {
    this.checkAlive();
    const start = this.sink ? performance.now() : 0;
    try {
      kernel(call, this);
    } catch (err) {
      if (err instanceof PolychipError) throw err;
      throw new KernelError(
        `cpu: kernel '${call.op}' failed on inputs ${describeViews(call.inputs)} -> ${describeViews(call.outputs)}: ${(err as Error)?.message ?? err}`,
        err,
      );
    }
    if (this.sink) {
      const first = call.inputs[0] ?? call.outputs[0];
      this.sink({
        device: "cpu",
        name: call.op,
        category: "kernel",
        start,
        duration: performance.now() - start,
        args: { shapes: `${describeViews(call.inputs)} -> ${describeViews(call.outputs)}`, dtype: first?.dtype ?? "" },
      });
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  setEventSink(sink: EventSink | undefined): void {
    this.sink = sink;
  }

  dispose(): void {
    this.disposed = true;
    this.sink = undefined;
  }

  private checkAlive(): void {
    if (this.disposed) throw new DeviceError("cpu: the device was disposed");
  }

  private checkRange(what: string, buffer: CpuBuffer, byteOffset: number, byteLength: number): void {
    if (buffer.freed) throw new DeviceError(`cpu: ${what} of a freed buffer`);
    if (!(byteOffset >= 0 && byteLength >= 0 && byteOffset + byteLength <= buffer.bytes)) {
      throw new DeviceError(`cpu: ${what} of bytes [${byteOffset}, ${byteOffset + byteLength}) is outside a buffer of ${buffer.bytes} bytes`);
    }
  }
}
