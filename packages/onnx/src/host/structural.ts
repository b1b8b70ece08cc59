import {
  applyPlanToValues,
  contiguousStrides,
  DTypeError,
  isStructuralOp,
  planShape,
  planStructural,
  formatShape,
  hostArray,
  normalizeAxis,
  ShapeError,
  sizeOf,
  UnsupportedOpError,
  type Attrs,
  type DType,
} from "@polychip/hal";
import type { HostTensor } from "../tensor.ts";
import { formatDims, isStatic, scaledSymbol, sizeOfDims, symbolParts, type Dim, type ValueMeta } from "./meta.ts";

/**
 * Shape inference and host evaluation of the graph IR's STRUCTURAL_OPS (views, shape arithmetic,
 * constants). The importer uses `inferStructural` to track shapes and `evalStructural` to fold
 * constant subgraphs; the semantics match engine/src/graph/ir.ts.
 */

const list = (attrs: Attrs, name: string): number[] | undefined => {
  const v = attrs[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
};

/** No tensor has more dims than this; a shape input claiming more is corrupt. */
export const MAX_RANK = 64;

function rankOf(op: string, n: Dim | undefined): number {
  if (typeof n !== "number") return 0;
  if (n > MAX_RANK) throw new ShapeError(`${op}: a shape of ${n} dims is more than Polychip supports (${MAX_RANK})`);
  return n;
}

let unknownCounter = 0;
/** A fresh symbol for a dimension no one can name statically. */
export function unknownDim(): string {
  return `?${++unknownCounter}`;
}

function ints(t: HostTensor | undefined): number[] | undefined {
  return t ? Array.from(t.data as ArrayLike<number>) : undefined;
}

/** ONNX Reshape target: 0 copies the input dim (unless allowZero), -1 takes what is left. */
export function resolveReshapeDims(x: readonly Dim[], target: readonly number[], allowZero = false): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (i < x.length ? x[i]! : badReshape(x, target)) : d));
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1 || out.some((d) => typeof d === "number" && (d < -1 || !Number.isInteger(d)))) badReshape(x, target);
  if (minus === 1) {
    const total = isStatic(x) ? sizeOf(x) : undefined;
    const known = out.filter((d) => d !== -1);
    const knownSize = isStatic(known) ? sizeOf(known) : undefined;
    const i = out.indexOf(-1);
    if (total === undefined || knownSize === undefined) out[i] = symbolicRemainder(x, knownSize) ?? unknownDim();
    else {
      if (knownSize === 0 ? total !== 0 : total % knownSize !== 0) badReshape(x, target);
      out[i] = knownSize === 0 ? 0 : total / knownSize;
    }
  } else if (isStatic(x) && isStatic(out) && sizeOf(out) !== sizeOf(x)) badReshape(x, target);
  return out;
}

/** -1 of a reshape whose input has one symbolic dim: that symbol times what is left, when it divides ([batch, 8, 16] → [-1, 16] gives batch*8). */
function symbolicRemainder(x: readonly Dim[], knownSize: number | undefined): string | undefined {
  const symbols = x.filter((d): d is string => typeof d === "string");
  if (symbols.length !== 1 || !knownSize) return undefined;
  const { base, factor } = symbolParts(symbols[0]!);
  const perSymbol = factor * sizeOfDims(x.filter((d) => typeof d === "number"))!;
  return perSymbol % knownSize === 0 ? scaledSymbol(base, perSymbol / knownSize) : undefined;
}

function badReshape(x: readonly Dim[], target: readonly number[]): never {
  throw new ShapeError(`reshape: cannot reshape ${formatDims(x)} to ${formatShape(target)}`);
}

export interface SliceSpec {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

/** The start and length along one dim of an ONNX Slice (clamping as the spec says, negative steps included). */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; length: number } {
  if (step === 0 || !Number.isFinite(step)) throw new ShapeError(`slice: step must be a non-zero integer, got ${step}`);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const length = Math.max(0, Math.ceil((e - s) / step));
  return { start: s, length };
}

export function sliceSpec(rank: number, attrs: Attrs, consts: (HostTensor | undefined)[]): SliceSpec | undefined {
  const starts = ints(consts[1]) ?? list(attrs, "starts");
  const ends = ints(consts[2]) ?? list(attrs, "ends");
  if (!starts || !ends) return undefined;
  const axes = ints(consts[3]) ?? list(attrs, "axes") ?? starts.map((_, i) => i);
  const steps = ints(consts[4]) ?? list(attrs, "steps") ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new ShapeError(`slice: starts, ends, axes and steps must have one length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
  }
  const norm = axes.map((a) => normalizeAxis("slice", a, rank));
  if (new Set(norm).size !== norm.length) throw new ShapeError(`slice: repeated axis in ${formatShape(axes)}`);
  return { starts, ends, axes: norm, steps };
}

/** numpy broadcast of two shapes (ONNX Expand is bidirectional). */
export function broadcastDims(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[i - rank + a.length] ?? 1;
    const y = b[i - rank + b.length] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === "string" || typeof y === "string") out.push(typeof x === "string" ? y : x);
    else throw new ShapeError(`${op}: shapes ${formatDims(a)} and ${formatDims(b)} cannot be broadcast together`);
  }
  return out;
}

export function splitSizes(dim: Dim, outputs: number, attrs: Attrs, sizesInput: HostTensor | undefined): number[] | undefined {
  const sizes = ints(sizesInput) ?? list(attrs, "sizes");
  if (sizes) {
    if (sizes.length !== outputs) throw new ShapeError(`split: ${sizes.length} sizes for ${outputs} outputs`);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0)) throw new ShapeError(`split: invalid sizes ${formatShape(sizes)}`);
    if (typeof dim === "number" && sizes.reduce((a, b) => a + b, 0) !== dim) throw new ShapeError(`split: sizes ${formatShape(sizes)} do not add up to ${dim}`);
    return sizes;
  }
  if (typeof dim !== "number") return undefined;
  // ONNX: equal parts, the last one smaller when the dim does not divide.
  const part = Math.ceil(dim / outputs);
  return Array.from({ length: outputs }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
}

function requireRank(op: string, x: ValueMeta, axes: number[], extra = 0): number[] {
  return axes.map((a) => normalizeAxis(op, a, x.shape.length + extra));
}

/**
 * Output metas of a structural op. `consts` holds the values of inputs known at import time
 * (shape, starts, sizes, ...); without them the output dims become symbols.
 */
export function inferStructural(op: string, ins: readonly ValueMeta[], attrs: Attrs, consts: readonly (HostTensor | undefined)[], outputs = 1): ValueMeta[] {
  const x = ins[0]!;
  switch (op) {
    case "identity":
      return [x];
    case "constant": {
      const dtype = attrs.dtype as DType;
      return [{ dtype, shape: list(attrs, "shape") ?? [] }];
    }
    case "reshape": {
      const target = ints(consts[1] as HostTensor | undefined) ?? list(attrs, "shape");
      if (!target) {
        return [{ dtype: x.dtype, shape: Array.from({ length: rankOf("reshape", ins[1]?.shape[0]) }, unknownDim) }];
      }
      return [{ dtype: x.dtype, shape: resolveReshapeDims(x.shape, target, Boolean(attrs.allowZero)) }];
    }
    case "flatten": {
      const axis = normalizeAxis("flatten", (attrs.axis as number) ?? 1, x.shape.length + 1);
      const prod = (ds: readonly Dim[]) => (isStatic(ds) ? sizeOf(ds) : ds.length === 1 ? ds[0]! : unknownDim());
      return [{ dtype: x.dtype, shape: [prod(x.shape.slice(0, axis)), prod(x.shape.slice(axis))] }];
    }
    case "permute": {
      const dims = requireRank("permute", x, list(attrs, "dims") ?? []);
      if (dims.length !== x.shape.length || new Set(dims).size !== dims.length)
        throw new ShapeError(`permute: dims ${formatShape(dims)} are not a permutation of ${formatDims(x.shape)}`);
      return [{ dtype: x.dtype, shape: dims.map((d) => x.shape[d]!) }];
    }
    case "squeeze": {
      const given = list(attrs, "axes");
      const axes = given ? requireRank("squeeze", x, given) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
      for (const a of axes) {
        if (typeof x.shape[a] === "number" && x.shape[a] !== 1) throw new ShapeError(`squeeze: dim ${a} of ${formatDims(x.shape)} is not 1`);
      }
      return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
    }
    case "unsqueeze": {
      const given = list(attrs, "axes") ?? [];
      const rank = x.shape.length + given.length;
      const axes = given.map((a) => normalizeAxis("unsqueeze", a, rank));
      if (new Set(axes).size !== axes.length) throw new ShapeError(`unsqueeze: repeated axis in ${formatShape(given)}`);
      const out: Dim[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x.shape[k++]!);
      return [{ dtype: x.dtype, shape: out }];
    }
    case "slice": {
      const spec = sliceSpec(x.shape.length, attrs, consts as HostTensor[]);
      if (!spec) return [{ dtype: x.dtype, shape: x.shape.map(() => unknownDim()) }];
      const shape = [...x.shape];
      spec.axes.forEach((a, i) => {
        const d = x.shape[a]!;
        shape[a] = typeof d === "number" ? sliceRange(d, spec.starts[i]!, spec.ends[i]!, spec.steps[i]!).length : unknownDim();
      });
      return [{ dtype: x.dtype, shape }];
    }
    case "expand": {
      const target = ints(consts[1] as HostTensor | undefined) ?? list(attrs, "shape");
      if (!target) return [{ dtype: x.dtype, shape: Array.from({ length: Math.max(x.shape.length, rankOf("expand", ins[1]?.shape[0])) }, unknownDim) }];
      return [{ dtype: x.dtype, shape: broadcastDims("expand", x.shape, target) }];
    }
    case "shape": {
      const r = x.shape.length;
      const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
      const start = clampAxis((attrs.start as number) ?? 0);
      const end = clampAxis((attrs.end as number) ?? r);
      return [{ dtype: "int32", shape: [Math.max(0, end - start)] }];
    }
    case "size":
      return [{ dtype: "int32", shape: [] }];
    case "split": {
      const axis = normalizeAxis("split", (attrs.axis as number) ?? 0, x.shape.length);
      const sizes = splitSizes(x.shape[axis]!, outputs, attrs, consts[1] as HostTensor | undefined);
      return Array.from({ length: outputs }, (_, i) => {
        const shape = [...x.shape];
        shape[axis] = sizes ? sizes[i]! : unknownDim();
        return { dtype: x.dtype, shape };
      });
    }
    default:
      throw new UnsupportedOpError(`'${op}' is not a structural op`);
  }
}

/**
 * Runs a structural op on host tensors (constant folding): the HAL's definition of the op, planned
 * on the contiguous input and applied to its values. inferStructural checks the result's shape.
 */
export function evalStructural(op: string, ins: readonly HostTensor[], attrs: Attrs, outputs = 1): HostTensor[] {
  const metas = inferStructural(op, ins, attrs, ins, outputs);
  for (const m of metas) {
    if (!isStatic(m.shape)) throw new ShapeError(`${op}: cannot evaluate with unknown dims ${formatDims(m.shape)}`);
  }
  if (!isStructuralOp(op)) throw new DTypeError(`${op}: cannot be evaluated on the host`);
  const x = ins[0];
  const plans = planStructural(op, {
    x: x && { dtype: x.dtype, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 },
    extra: ins.slice(1).map((t) => (t ? Array.from(t.data as ArrayLike<number>) : undefined)),
    attrs,
    outputCount: outputs,
  });
  const values = x ? Array.from(x.data as ArrayLike<number>) : [];
  return plans.map((plan) => {
    const dtype = plan.kind === "value" ? plan.dtype : x!.dtype;
    const picked = applyPlanToValues(plan, values);
    const data = hostArray(dtype, picked.length);
    data.set(picked);
    return { dtype, shape: [...planShape(plan)], data };
  });
}
