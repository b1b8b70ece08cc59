import { sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuView } from "../views.ts";
import { address } from "./support.ts";

/**
 * Runs `use` on a contiguous float32 copy of a strided view (a transposed or sliced tensor the
 * graph hands a convolution), placed in the WASM memory for the duration of the call. The copy is
 * one pass over the elements, cheap beside the kernel that reads it several times; the reference
 * kernel it saves the kernel from falling back to is ~20x slower. Returns undefined when the view
 * is not in the WASM memory or there is no room for the copy.
 */
export function withContiguousCopy<T>(path: FastPath, view: CpuView, use: (address: number) => T): T | undefined {
  const base = address(view);
  if (base === undefined || view.dtype !== "float32") return undefined;
  const n = sizeOf(view.shape);
  const bytes = Math.max(64, n * 4);
  const rt = path.runtime;
  const copy = rt.arena.alloc(bytes);
  if (copy === undefined) return undefined;
  try {
    const f32 = rt.f32;
    const src = base / 4;
    const dst = copy / 4;
    const { shape, strides } = view;
    const rank = shape.length;
    const last = shape[rank - 1] ?? 1;
    const step = strides[rank - 1] ?? 1;
    const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
    for (let o = 0; o < n; o += last) {
      let from = src;
      for (let d = 0; d < rank - 1; d++) from += index[d]! * strides[d]!;
      for (let i = 0; i < last; i++) f32[dst + o + i] = f32[from + i * step]!;
      for (let d = rank - 2; d >= 0; d--) {
        if (++index[d]! < shape[d]!) break;
        index[d] = 0;
      }
    }
    return use(copy);
  } finally {
    rt.arena.free(copy, bytes);
  }
}
