import { contiguousStrides, isFloat, normalizeAxis, numAttr, ShapeError, sizeOf, type KernelFn, type KernelRegistration } from "@polychip/hal";
import { forEachIndex, loadValues, storeValues, type HostBuffer } from "@polychip/plugin-sdk";

const kernel = (op: string, fn: KernelFn<HostBuffer>): KernelRegistration<HostBuffer> => ({ device: "__DEVICE_NAME__", op, dtypes: "*", kernel: fn });

function checkIndex(op: string, index: number, axis: number, size: number): void {
  if (!(index >= 0 && index < size)) throw new ShapeError(`${op}: index ${index} is out of range for dim ${axis} of size ${size}`);
}

/** Flat position in a contiguous tensor of `shape` of `index`, with its `axis` coordinate replaced by `k`. */
function flatWith(strides: readonly number[], index: readonly number[], axis: number, k: number): number {
  let p = 0;
  for (let d = 0; d < index.length; d++) p += (d === axis ? k : index[d]!) * strides[d]!;
  return p;
}

export const indexingKernels: KernelRegistration<HostBuffer>[] = [
  // ONNX Gather: out[outer, j, inner] = x[outer, idx[j], inner].
  kernel("gather", ({ inputs: [x, idx], outputs: [y], attrs }) => {
    const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x!.shape.length);
    const xs = loadValues(x!);
    const indices = loadValues(idx!);
    const size = x!.shape[axis]!;
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const out = new Float64Array(sizeOf(y!.shape));
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (const k of indices) {
        checkIndex("gather", k, axis, size);
        for (let i = 0; i < inner; i++) out[o++] = xs[(a * size + k) * inner + i]!;
      }
    }
    storeValues(y!, out);
  }),
  // torch.gather: out[c] = x[c with c[axis] = idx[c]].
  kernel("gatherElements", ({ inputs: [x, idx], outputs: [y], attrs }) => {
    const axis = normalizeAxis("gatherElements", numAttr("gatherElements", attrs, "axis", 0), x!.shape.length);
    const xs = loadValues(x!);
    const indices = loadValues(idx!);
    const strides = contiguousStrides(x!.shape);
    const out = new Float64Array(indices.length);
    forEachIndex(idx!.shape, (index, flat) => {
      checkIndex("gatherElements", indices[flat]!, axis, x!.shape[axis]!);
      out[flat] = xs[flatWith(strides, index, axis, indices[flat]!)]!;
    });
    storeValues(y!, out);
  }),
  // torch.scatter_add: out = x; out[c with c[axis] = idx[c]] += src[c], in row-major order of c, rounding floats after every add.
  kernel("scatterAdd", ({ inputs: [x, idx, src], outputs: [y], attrs }) => {
    const axis = normalizeAxis("scatterAdd", numAttr("scatterAdd", attrs, "axis", 0), x!.shape.length);
    const out = loadValues(x!);
    const indices = loadValues(idx!);
    const srcValues = loadValues(src!);
    const outStrides = contiguousStrides(x!.shape);
    const srcStrides = contiguousStrides(src!.shape);
    const round = isFloat(y!.dtype) ? Math.fround : (v: number) => v;
    const bool = y!.dtype === "bool";
    forEachIndex(idx!.shape, (index, flat) => {
      checkIndex("scatterAdd", indices[flat]!, axis, x!.shape[axis]!);
      const t = flatWith(outStrides, index, axis, indices[flat]!);
      const s = srcValues[flatWith(srcStrides, index, -1, 0)]!;
      out[t] = bool ? +(out[t] !== 0 || s !== 0) : round(out[t]! + s);
    });
    storeValues(y!, out);
  }),
];
