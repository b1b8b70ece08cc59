import { PolychipError, type DeviceBuffer } from "@polychip/hal";

/** Live memory per device, for leak checks and the profiler. */
export interface MemoryStats {
  device: string;
  buffers: number;
  bytes: number;
  /** The most bytes held at once since the start or the last resetPeakMemory(). */
  peakBytes: number;
}

const stats = new Map<string, MemoryStats>();

export function memoryStats(device?: string): MemoryStats[] {
  const all = [...stats.values()].map((s) => ({ ...s }));
  return device ? all.filter((s) => s.device === device) : all;
}

/**
 * A device buffer shared by every view of it. Reference-counted: each tensor view holds one
 * reference; the buffer goes back to the device when the last one is released.
 *
 * A *pending* storage (made while `compile` records a step) has no buffer yet: the compiled plan
 * computes its value after the step's code has run, and `adopt` then gives it the result's buffer.
 */
export class Storage {
  private refs = 1;
  private held: DeviceBuffer | undefined;

  /** `free` returns the buffer through the device's queue, after the work already queued on it. */
  constructor(
    readonly device: string,
    buffer: DeviceBuffer | undefined,
    readonly bytes: number,
    private free: (buffer: DeviceBuffer) => void,
  ) {
    this.held = buffer;
    if (buffer) count(device, 1, bytes);
  }

  /** A storage whose value a compiled step computes later; reading it before then is an error. */
  static pending(device: string, bytes: number, producer: string): Storage {
    const s = new Storage(device, undefined, bytes, () => {});
    s.producer = producer;
    return s;
  }

  /** The op that will compute a pending storage (for error messages). */
  private producer = "";

  get buffer(): DeviceBuffer {
    if (this.held) return this.held;
    throw new PolychipError(
      `compile: a tensor made by '${this.producer}' is read or moved while its step is being captured; its value exists only after the step ran. ` +
        "Reading values (data(), item()), moving tensors between devices and host-side decisions on values cannot happen inside a compiled function: do them outside it",
    );
  }

  get isPending(): boolean {
    return this.held === undefined && this.refs > 0;
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  /** True when no other view shares this storage. */
  get exclusive(): boolean {
    return this.refs === 1;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    // The handle stays readable after the free: work queued before it may still name the buffer.
    if (--this.refs === 0 && this.held) {
      this.free(this.held);
      count(this.device, -1, -this.bytes);
    }
  }

  /** Makes this pending storage own `result`'s buffer; `result` (exclusively held, same size) gives it up. */
  adopt(result: Storage): void {
    if (this.held || !result.held || !result.exclusive || result.bytes !== this.bytes || result.device !== this.device) {
      throw new PolychipError(`compile: internal error adopting a ${result.bytes}-byte result into a ${this.bytes}-byte pending value`);
    }
    this.held = result.held;
    this.free = result.free;
    result.held = undefined;
    result.refs = 0;
    if (this.refs === 0) {
      this.free(this.held);
      count(this.device, -1, -this.bytes);
    }
  }
}

function count(device: string, buffers: number, bytes: number): void {
  const s = stats.get(device) ?? { device, buffers: 0, bytes: 0, peakBytes: 0 };
  s.buffers += buffers;
  s.bytes += bytes;
  s.peakBytes = Math.max(s.peakBytes, s.bytes);
  stats.set(device, s);
}

/** Starts peak tracking afresh from what each device holds now. */
export function resetPeakMemory(device?: string): void {
  for (const s of stats.values()) if (!device || s.device === device) s.peakBytes = s.bytes;
}
