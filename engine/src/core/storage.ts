import type { DeviceBuffer } from "@polychip/hal";

/** Live memory per device, for leak checks and the profiler. */
export interface MemoryStats {
  device: string;
  buffers: number;
  bytes: number;
}

const stats = new Map<string, MemoryStats>();

export function memoryStats(device?: string): MemoryStats[] {
  const all = [...stats.values()].map((s) => ({ ...s }));
  return device ? all.filter((s) => s.device === device) : all;
}

/**
 * A device buffer shared by every view of it. Reference-counted: each tensor view holds one
 * reference; the buffer goes back to the device when the last one is released.
 */
export class Storage {
  private refs = 1;

  /** `free` returns the buffer through the device's queue, after the work already queued on it. */
  constructor(
    readonly device: string,
    readonly buffer: DeviceBuffer,
    readonly bytes: number,
    private readonly free: (buffer: DeviceBuffer) => void,
  ) {
    const s = stats.get(device) ?? { device, buffers: 0, bytes: 0 };
    s.buffers++;
    s.bytes += bytes;
    stats.set(device, s);
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    if (--this.refs === 0) {
      this.free(this.buffer);
      const s = stats.get(this.device)!;
      s.buffers--;
      s.bytes -= this.bytes;
    }
  }
}
