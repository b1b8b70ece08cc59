import { memoryStats } from "./core/storage.ts";
export { resetPeakMemory } from "./core/storage.ts";
import { liveTensorCount } from "./tensor.ts";

export interface DeviceMemory {
  device: string;
  /** Tensor handles not yet disposed (views count separately from the memory they share). */
  tensors: number;
  /** Device buffers still allocated, and their bytes. */
  buffers: number;
  bytes: number;
  /** The most bytes held at once since the start or the last resetPeakMemory(). */
  peakBytes: number;
}

/** Live tensors and bytes per device. */
export function memory(device?: string): DeviceMemory[] {
  return memoryStats(device).map((s) => ({ device: s.device, tensors: liveTensorCount(s.device), buffers: s.buffers, bytes: s.bytes, peakBytes: s.peakBytes }));
}
