import { float32ToFloat16Bits, listAttr, numAttr, ShapeError, sizeOf, type Attrs } from "@polychip/hal";
import { castScalar } from "../convert.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { openRawOutput, rawArray, type CpuView } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

type PadMode = "constant" | "reflect" | "edge";

/**
 * For each output coordinate along one dim, the source coordinate, or -1 for the constant. `reflect`
 * mirrors without repeating the edge (NumPy 'reflect', ONNX/PyTorch reflect) and keeps mirroring
 * for pads wider than the input; `edge` repeats the border element.
 */
function sourceIndex(mode: PadMode, outSize: number, begin: number, size: number, dim: number): Int32Array {
  const map = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let s = o - begin;
    if (s < 0 || s >= size) {
      if (mode === "constant") s = -1;
      else if (size === 0) throw new ShapeError(`pad: mode '${mode}' cannot pad dim ${dim}, which is empty`);
      else if (mode === "edge") s = s < 0 ? 0 : size - 1;
      else if (size === 1) s = 0;
      else {
        const period = 2 * (size - 1);
        s = ((s % period) + period) % period;
        if (s >= size) s = period - s;
      }
    }
    map[o] = s;
  }
  return map;
}

/** Per dim of `y`, per output coordinate: the element offset of its source in `x`, or NaN for the constant (strides may be negative). */
function sourceOffsets(mode: PadMode, attrs: Attrs, x: CpuView, y: CpuView): Float64Array[] {
  const pads = listAttr("pad", attrs, "pads");
  // (A plain loop: TypedArray.from with a map function walks the iterator protocol, ~50x slower.)
  return y.shape.map((outSize, d) => {
    const source = sourceIndex(mode, outSize, pads[d]!, x.shape[d]!, d);
    const off = new Float64Array(outSize);
    for (let o = 0; o < outSize; o++) off[o] = source[o]! < 0 ? NaN : source[o]! * x.strides[d]!;
    return off;
  });
}

/** The offsets by node attrs and layouts: a planned session pads the same shapes every run. */
const offsetMemo = new LayoutMemo<Float64Array[]>();

/** pad: attrs.pads [begin_0.., end_0..] (negative crops), attrs.mode, attrs.value (cast to the dtype). */
export const padKernels: CpuRegistration[] = [
  cpuKernel("pad", ({ inputs: [x], outputs: [y], attrs }) => {
    const mode = (attrs.mode ?? "constant") as PadMode;
    if (mode !== "constant" && mode !== "reflect" && mode !== "edge") {
      throw new ShapeError(`pad: mode must be constant, reflect or edge, got ${JSON.stringify(attrs.mode)}`);
    }
    const rank = x!.shape.length;
    const value = castScalar(numAttr("pad", attrs, "value", 0), y!.dtype);
    const fillRaw = y!.dtype === "float16" ? float32ToFloat16Bits(value) : value;
    const offsets = offsetMemo.get(attrs, [x!, y!]) ?? offsetMemo.set(attrs, sourceOffsets(mode, attrs, x!, y!), [x!, y!]);
    const xs = rawArray(x!.buffer, x!.dtype);
    const out = openRawOutput(y!);
    const r = out.raw;
    const total = sizeOf(y!.shape);
    if (rank === 0) {
      if (total) r[0] = xs[x!.offset]!;
    } else if (total > 0) {
      const last = offsets[rank - 1]!;
      const n = last.length;
      const counter = new Array<number>(rank).fill(0);
      for (let o = 0; o < total; o += n) {
        let base = x!.offset;
        let outside = false;
        for (let d = 0; d < rank - 1; d++) {
          const off = offsets[d]![counter[d]!]!;
          if (off !== off) outside = true;
          base += off;
        }
        for (let j = 0; j < n; j++) {
          const off = last[j]!;
          r[o + j] = outside || off !== off ? fillRaw : xs[base + off]!;
        }
        for (let d = rank - 2; d >= 0; d--) {
          if (++counter[d]! < y!.shape[d]!) break;
          counter[d] = 0;
        }
      }
    }
    out.commit();
  }),
];
