import { contiguousStrides, formatShape, normalizeAxis, numAttr, ShapeError, sizeOf } from "@polychip/hal";
import { openOutput, openRawOutput, rawArray, readRaw, readValues, stridedOffsets, type CpuView } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** Indices are not normalised: the engine turns negative ones positive before they reach a device. */
function checkIndex(op: string, index: number, axis: number, size: number): void {
  if (!(index >= 0 && index < size)) {
    throw new ShapeError(`${op}: index ${index} is out of range for dim ${axis} of size ${size}`);
  }
}

function checkIndexFits(op: string, idx: CpuView, other: CpuView, what: string, axis: number, includeAxis: boolean): void {
  if (idx.shape.length !== other.shape.length) {
    throw new ShapeError(`${op}: index ${formatShape(idx.shape)} and ${what} ${formatShape(other.shape)} must have one rank`);
  }
  idx.shape.forEach((d, i) => {
    if ((includeAxis || i !== axis) && d > other.shape[i]!) {
      throw new ShapeError(`${op}: index shape ${formatShape(idx.shape)} exceeds ${what} shape ${formatShape(other.shape)} in dim ${i}`);
    }
  });
}

/** Element offsets into `view` of every index position, where the `axis` coordinate is replaced by the index value. */
function indexedOffsets(op: string, view: CpuView, idx: CpuView, indices: ArrayLike<number>, axis: number): Int32Array {
  // Offsets of the index's own coordinates in `view`, with the axis coordinate zeroed, then the index added along axis.
  const strides = view.strides.map((s, d) => (d === axis ? 0 : s));
  const offsets = stridedOffsets(idx.shape, strides, view.offset);
  const size = view.shape[axis]!;
  const step = view.strides[axis]!;
  for (let i = 0; i < offsets.length; i++) {
    const k = indices[i]!;
    checkIndex(op, k, axis, size);
    offsets[i] += k * step;
  }
  return offsets;
}

export const gatherKernels: CpuRegistration[] = [
  /** ONNX Gather: out[outer, j, inner] = x[outer, idx[j], inner]; whole inner runs move at once. */
  cpuKernel("gather", ({ inputs: [x, idx], outputs: [y], attrs }) => {
    const axis = normalizeAxis("gather", numAttr("gather", attrs, "axis", 0), x!.shape.length);
    const indices = readValues(idx!);
    const size = x!.shape[axis]!;
    for (let j = 0; j < indices.length; j++) checkIndex("gather", indices[j]!, axis, size);
    const xs = readRaw(x!);
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const out = openRawOutput(y!);
    const r = out.raw;
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < indices.length; j++, o += inner) {
        const from = (a * size + indices[j]!) * inner;
        r.set(xs.subarray(from, from + inner), o);
      }
    }
    out.commit();
  }),

  /** torch.gather: out[c] = x[c with c[axis] = idx[c]]; the index may be smaller than x in every dim. */
  cpuKernel("gatherElements", ({ inputs: [x, idx], outputs: [y], attrs }) => {
    const axis = normalizeAxis("gatherElements", numAttr("gatherElements", attrs, "axis", 0), x!.shape.length);
    checkIndexFits("gatherElements", idx!, x!, "input", axis, false);
    const offsets = indexedOffsets("gatherElements", x!, idx!, readValues(idx!), axis);
    const xs = rawArray(x!.buffer, x!.dtype);
    const out = openRawOutput(y!);
    const r = out.raw;
    for (let i = 0; i < offsets.length; i++) r[i] = xs[offsets[i]!]!;
    out.commit();
  }),

  /**
   * torch.scatter_add: out = x; out[c with c[axis] = idx[c]] += src[c] for every index position c, in
   * row-major order of c (float32 sums round after every add, like a sequential device).
   */
  cpuKernel("scatterAdd", ({ inputs: [x, idx, src], outputs: [y], attrs }) => {
    const axis = normalizeAxis("scatterAdd", numAttr("scatterAdd", attrs, "axis", 0), x!.shape.length);
    checkIndexFits("scatterAdd", idx!, x!, "input", axis, false);
    checkIndexFits("scatterAdd", idx!, src!, "src", axis, true);
    const out = openOutput(y!);
    const v = out.values;
    v.set(readValues(x!));
    const outView: CpuView = { ...y!, strides: contiguousStrides(y!.shape), offset: 0 };
    const targets = indexedOffsets("scatterAdd", outView, idx!, readValues(idx!), axis);
    const adds = readValues(src!, idx!.shape, src!.strides);
    const bool = y!.dtype === "bool";
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      v[t] = bool ? (v[t] !== 0 || adds[i] !== 0 ? 1 : 0) : v[t]! + adds[i]!;
    }
    out.commit();
  }),
];
