import { contiguousStrides, formatShape, isContiguous, normalizeAxis, ShapeError, sizeOf, type DType, type Shape, type TensorView } from "@polychip/hal";
import type { Storage } from "./storage.ts";

/** A strided window on a storage: the engine-side twin of the HAL's TensorView. */
export interface RawView {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export function toKernelView(v: RawView): TensorView {
  return { buffer: v.storage.buffer, dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset };
}

export function viewIsContiguous(v: RawView): boolean {
  return isContiguous(v.shape, v.strides);
}

export type ViewChange = Pick<RawView, "shape" | "strides" | "offset">;

/** Infers one -1 and checks the element count. */
export function resolveReshape(op: string, from: Shape, to: readonly number[]): number[] {
  const known = to.filter((d) => d !== -1);
  const minus = to.length - known.length;
  if (minus > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`${op}: invalid target shape ${formatShape(to)}`);
  const total = sizeOf(from);
  const knownSize = sizeOf(known);
  const shape = to.map((d) => (d === -1 ? (knownSize === 0 ? 0 : total / knownSize) : d));
  if (sizeOf(shape) !== total || shape.some((d) => !Number.isInteger(d))) {
    throw new ShapeError(`${op}: cannot reshape ${formatShape(from)} (${total} elements) to ${formatShape(to)}`);
  }
  return shape;
}

/** Strides for viewing `v` with `shape` without copying, or undefined when a copy is needed. */
export function reshapeStrides(v: ViewChange, shape: readonly number[]): number[] | undefined {
  if (isContiguous(v.shape, v.strides)) return contiguousStrides(shape);
  // Merge/split dims where memory allows (as torch.view does).
  const oldDims: number[] = [];
  const oldStrides: number[] = [];
  v.shape.forEach((d, i) => {
    if (d !== 1) {
      oldDims.push(d);
      oldStrides.push(v.strides[i]!);
    }
  });
  const out = new Array<number>(shape.length);
  let oi = 0;
  let ni = 0;
  while (ni < shape.length) {
    if (shape[ni] === 1) {
      out[ni] = 1;
      ni++;
      continue;
    }
    if (oi >= oldDims.length) return undefined;
    // Take a group of old dims that is contiguous among itself and matches a group of new dims.
    let oldSize = oldDims[oi]!;
    let oEnd = oi;
    let newSize = shape[ni]!;
    let nEnd = ni;
    while (oldSize !== newSize) {
      if (oldSize < newSize) {
        oEnd++;
        if (oEnd >= oldDims.length || oldStrides[oEnd - 1] !== oldStrides[oEnd]! * oldDims[oEnd]!) return undefined;
        oldSize *= oldDims[oEnd]!;
      } else {
        nEnd++;
        if (nEnd >= shape.length) return undefined;
        newSize *= shape[nEnd]!;
      }
    }
    let stride = oldStrides[oEnd]!;
    for (let k = nEnd; k >= ni; k--) {
      out[k] = stride;
      stride *= shape[k]!;
    }
    oi = oEnd + 1;
    ni = nEnd + 1;
  }
  if (oi !== oldDims.length) return undefined;
  return out;
}

export function permuteView(op: string, v: ViewChange, dims: readonly number[]): ViewChange {
  const r = v.shape.length;
  const norm = dims.map((d) => normalizeAxis(op, d, r));
  if (norm.length !== r || new Set(norm).size !== r) throw new ShapeError(`${op}: dims ${formatShape(dims)} are not a permutation of ${r} dims (input ${formatShape(v.shape)})`);
  return { shape: norm.map((d) => v.shape[d]!), strides: norm.map((d) => v.strides[d]!), offset: v.offset };
}

export function sliceView(op: string, v: ViewChange, axis: number, start: number, end: number, step = 1): ViewChange {
  const a = normalizeAxis(op, axis, v.shape.length);
  const dim = v.shape[a]!;
  if (step <= 0) throw new ShapeError(`${op}: step must be positive, got ${step}`);
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + dim : i, 0), dim);
  const s = clamp(start);
  const e = Math.max(clamp(end), s);
  const shape = [...v.shape];
  const strides = [...v.strides];
  shape[a] = Math.ceil((e - s) / step);
  strides[a] = v.strides[a]! * step;
  return { shape, strides, offset: v.offset + s * v.strides[a]! };
}

export function expandView(op: string, v: ViewChange, shape: readonly number[]): ViewChange {
  const lead = shape.length - v.shape.length;
  if (lead < 0) throw new ShapeError(`${op}: cannot expand ${formatShape(v.shape)} to fewer dims ${formatShape(shape)}`);
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const src = v.shape[i - lead]!;
    if (d === -1 || d === src) return v.strides[i - lead]!;
    if (src === 1) return 0;
    throw new ShapeError(`${op}: cannot expand ${formatShape(v.shape)} to ${formatShape(shape)} (dim ${i}: ${src} vs ${d})`);
  });
  return { shape: shape.map((d, i) => (d === -1 ? v.shape[i - lead]! : d)), strides, offset: v.offset };
}
