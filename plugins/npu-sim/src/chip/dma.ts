import { float16BitsToFloat32, float32ToFloat16Bits, type TensorView } from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";

/**
 * The DMA engine between DRAM (device buffers) and on-chip RAM: a descriptor is a list of
 * element offsets (any strided or broadcast view), so a load is a gather and a store a scatter.
 * On-chip data is held as float64 numbers (float16 decoded), the values the units compute on.
 */
/** Every float16 bit pattern decoded once: the DMA engine's widening is a table lookup in the simulator (loads are its hottest loop). */
let halfValues: Float64Array | undefined;
export function halves(): Float64Array {
  if (!halfValues) {
    halfValues = new Float64Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfValues[bits] = float16BitsToFloat32(bits);
  }
  return halfValues;
}

export function dmaLoad(view: TensorView<HostBuffer>, offsets: Int32Array, start: number, count: number): Float64Array {
  const storage = view.buffer.storage(view.dtype);
  const out = new Float64Array(count);
  if (view.dtype === "float16") {
    const half = halves();
    for (let i = 0; i < count; i++) out[i] = half[storage[offsets[start + i]!]!]!;
  } else {
    for (let i = 0; i < count; i++) out[i] = storage[offsets[start + i]!]!;
  }
  return out;
}

/** Writes values to DRAM at contiguous element positions [start, start + values.length) of `view`; float16 rounds to nearest even. */
export function dmaStore(view: TensorView<HostBuffer>, start: number, values: ArrayLike<number>): void {
  const storage = view.buffer.storage(view.dtype);
  const base = view.offset + start;
  if (view.dtype === "float16") {
    for (let i = 0; i < values.length; i++) storage[base + i] = float32ToFloat16Bits(values[i]!);
  } else {
    for (let i = 0; i < values.length; i++) storage[base + i] = values[i]!;
  }
}

/** Writes values to DRAM at arbitrary element positions of `view` (a strided store descriptor). */
export function dmaScatter(view: TensorView<HostBuffer>, positions: ArrayLike<number>, values: ArrayLike<number>): void {
  const storage = view.buffer.storage(view.dtype);
  const half = view.dtype === "float16";
  for (let i = 0; i < values.length; i++) storage[view.offset + positions[i]!] = half ? float32ToFloat16Bits(values[i]!) : values[i]!;
}
