import { float16BitsToFloat32, float32ToFloat16Bits, sizeOf, type Shape, type TensorView } from "@polychip/hal";
import type { HostBuffer } from "./host-buffer.ts";
import { broadcastOffsets, elementOffsets } from "./strided.ts";

export type HostView = TensorView<HostBuffer>;

/**
 * The values of a view as float64 numbers in row-major order (float16 decoded). When `target` is
 * given, the view is read broadcast to that shape. This is the slow, obviously correct path a
 * naive kernel starts from; a fast kernel reads `buffer.storage(dtype)` directly.
 */
export function loadValues(view: HostView, target?: Shape): Float64Array {
  const offsets = target ? broadcastOffsets(view, target) : elementOffsets(view.shape, view.strides, view.offset);
  const storage = view.buffer.storage(view.dtype);
  const out = new Float64Array(offsets.length);
  if (view.dtype === "float16") {
    for (let i = 0; i < offsets.length; i++) out[i] = float16BitsToFloat32(storage[offsets[i]!]!);
  } else {
    for (let i = 0; i < offsets.length; i++) out[i] = storage[offsets[i]!]!;
  }
  return out;
}

/**
 * Writes row-major `values` into a view (which may be strided). Values are stored as the dtype's
 * typed array stores them: float32 rounds to nearest, float16 rounds to nearest even half,
 * integer types wrap, so a kernel applies saturation or truncation itself before storing.
 */
export function storeValues(view: HostView, values: ArrayLike<number>): void {
  const offsets = elementOffsets(view.shape, view.strides, view.offset);
  if (values.length !== offsets.length) {
    throw new RangeError(`storeValues: ${values.length} values for a view of ${offsets.length} elements`);
  }
  const storage = view.buffer.storage(view.dtype);
  if (view.dtype === "float16") {
    for (let i = 0; i < offsets.length; i++) storage[offsets[i]!] = float32ToFloat16Bits(values[i]!);
  } else if (view.dtype === "bool") {
    for (let i = 0; i < offsets.length; i++) storage[offsets[i]!] = values[i] !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < offsets.length; i++) storage[offsets[i]!] = values[i]!;
  }
}

/** Number of elements in a view. */
export function viewSize(view: { shape: Shape }): number {
  return sizeOf(view.shape);
}
