/// <reference types="@webgpu/types" preserve="true" />
import type { DeviceBuffer } from "@polychip/hal";

/** A block of GPU memory. `bytes` is what the caller asked for; `gpu.size` is the (larger) pooled size class. */
export class WebGpuBuffer implements DeviceBuffer {
  readonly device = "webgpu";
  freed = false;

  constructor(
    readonly bytes: number,
    readonly gpu: GPUBuffer,
  ) {}

  /** Bytes a kernel binds: the request rounded up to whole 32-bit words. */
  get bindingBytes(): number {
    return Math.max(4, Math.ceil(this.bytes / 4) * 4);
  }
}
