import { BufferUsage } from "./gpu-constants.ts";

/**
 * One uniform buffer holding the parameters of every dispatch in a batch, each at an aligned
 * offset. It is written once just before the batch is submitted; reusing it for the next batch is
 * safe because queue writes and submits run in order.
 */
export class ParamArena {
  readonly buffer: GPUBuffer;
  private readonly data: Uint32Array<ArrayBuffer>;
  private cursor = 0;

  constructor(
    device: GPUDevice,
    readonly capacity: number,
    private readonly alignment: number,
  ) {
    this.buffer = device.createBuffer({ size: capacity, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: "polychip params" });
    this.data = new Uint32Array(capacity / 4);
  }

  /** Byte offset of the words in the arena, or undefined when the batch must be submitted first. */
  push(words: Uint32Array): number | undefined {
    const offset = this.cursor;
    const end = offset + words.byteLength;
    if (end > this.capacity) return undefined;
    this.data.set(words, offset / 4);
    this.cursor = Math.ceil(end / this.alignment) * this.alignment;
    return offset;
  }

  get used(): number {
    return this.cursor;
  }

  upload(queue: GPUQueue): void {
    if (this.cursor === 0) return;
    queue.writeBuffer(this.buffer, 0, this.data, 0, Math.min(this.cursor, this.capacity) / 4);
    this.cursor = 0;
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
