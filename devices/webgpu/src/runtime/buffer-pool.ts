import { sizeClass } from "./size-classes.ts";

export interface PoolStats {
  created: number;
  reused: number;
  /** Bytes held by idle buffers waiting for reuse. */
  idleBytes: number;
}

/**
 * Reuses GPU buffers of one usage by size class. Releasing a buffer that queued work still reads is
 * safe: the queue runs commands in submission order, so whoever gets it next writes after those reads.
 * Destroying one is not while recorded commands that use it are unsubmitted (WebGPU refuses the
 * submit), so a release past the idle limit destroys through `destroy`, which the device defers
 * until its current batch is submitted.
 */
export class BufferPool {
  private readonly idle = new Map<number, GPUBuffer[]>();
  readonly stats: PoolStats = { created: 0, reused: 0, idleBytes: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
    /** Idle bytes kept for reuse; beyond this, released buffers are destroyed. */
    private readonly maxIdleBytes: number,
    private readonly maxBufferBytes: number,
    private readonly destroy: (buffer: GPUBuffer) => void = (buffer) => buffer.destroy(),
  ) {}

  /** Size actually allocated for a request of `bytes`. */
  capacityFor(bytes: number): number {
    const cls = sizeClass(bytes);
    return cls <= this.maxBufferBytes ? cls : Math.ceil(bytes / 4) * 4;
  }

  acquire(bytes: number): GPUBuffer {
    const size = this.capacityFor(bytes);
    const list = this.idle.get(size);
    const reused = list?.pop();
    if (reused) {
      this.stats.reused++;
      this.stats.idleBytes -= size;
      return reused;
    }
    this.stats.created++;
    return this.device.createBuffer({ size, usage: this.usage, label: this.label });
  }

  release(buffer: GPUBuffer): void {
    if (this.stats.idleBytes + buffer.size > this.maxIdleBytes) {
      this.destroy(buffer);
      return;
    }
    let list = this.idle.get(buffer.size);
    if (!list) this.idle.set(buffer.size, (list = []));
    list.push(buffer);
    this.stats.idleBytes += buffer.size;
  }

  /** Destroys every idle buffer (on dispose, or to give memory back after an out-of-memory error). */
  trim(): void {
    for (const list of this.idle.values()) for (const b of list) b.destroy();
    this.idle.clear();
    this.stats.idleBytes = 0;
  }
}
