import type { Attrs } from "./device.ts";
import { isDType, type DType } from "./dtype.ts";
import { DTypeError, ShapeError } from "./errors.ts";
import { broadcastShapes, contiguousStrides, formatShape, isContiguous, normalizeAxis, sizeOf, stridedOffsets, type Dim, type Shape } from "./shape.ts";
import {
  expandTarget,
  flattenAxis,
  listFrom,
  permutation,
  requireX,
  reshapeTarget,
  resolveTargetDims,
  shapeRange,
  sliceSpec,
  splitParts,
  squeezeAxes,
  unsqueezeAxes,
  type StructuralArgs,
} from "./structural-args.ts";

/**
 * Ops every runtime executes itself, with no device kernel: views of memory, shape arithmetic and
 * constants. Their meaning is defined once, here, for the engine, the ONNX importer and plugins
 * that claim subgraphs containing them.
 */
export const STRUCTURAL_OPS = [
  "reshape",
  "permute",
  "slice",
  "expand",
  "squeeze",
  "unsqueeze",
  "flatten",
  "identity",
  "constant",
  "shape",
  "size",
  "split",
] as const;

export type StructuralOp = (typeof STRUCTURAL_OPS)[number];

export function isStructuralOp(op: string): op is StructuralOp {
  return (STRUCTURAL_OPS as readonly string[]).includes(op);
}

/** How a view sees its memory: shape, strides and offset in elements. */
export interface ViewChange {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A PyTorch reshape target (one -1 inferred, 0 is a real size): ONNX Reshape with allowZero. */
export function resolveReshape(op: string, from: Shape, to: readonly number[]): number[] {
  return resolveTarget(op, from, to, true);
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
  const norm = permutation(op, v.shape, dims);
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

/**
 * The meaning of each structural op, as plain arithmetic on shapes and strides: the runtime applies
 * a plan to device views, shape inference reads only the shapes of a plan, so both share one
 * definition (see ir.ts for the op list).
 */
export type StructuralPlan =
  /** The input's memory seen through another (shape, strides, offset); `reverseAxes` are then flipped by a gather. */
  | { readonly kind: "view"; readonly change: ViewChange; readonly reverseAxes?: readonly number[] }
  /** The input needs a contiguous copy first; the copy is then seen with `shape`. */
  | { readonly kind: "copy-reshape"; readonly shape: readonly number[] }
  /** A new tensor holding host values (shape, size, constant). */
  | { readonly kind: "value"; readonly dtype: DType; readonly shape: readonly number[]; readonly values: readonly number[] };

export interface StructuralInput extends StructuralArgs {
  /** The first input's view (any strides), absent for `constant`. */
  readonly x?: ViewChange & { readonly dtype: DType };
}

/** A view of `x` reshaped to `shape`, or a copy first when its strides do not allow it. */
function reshapeTo(x: ViewChange, shape: number[]): StructuralPlan {
  const strides = reshapeStrides(x, shape);
  return strides ? { kind: "view", change: { shape, strides, offset: x.offset } } : { kind: "copy-reshape", shape };
}

/** ONNX Reshape: 0 copies the input dim (unless allowZero), one -1 is inferred. */
export function resolveTarget(op: string, from: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  // Over numbers every dim resolves to a number: `unknown` is never asked.
  return resolveTargetDims(op, from, target, allowZero, (what) => {
    throw new ShapeError(`${op}: ${what}`);
  }) as number[];
}

/** One axis of an ONNX Slice: the elements taken, as an ascending run plus whether to flip it. */
export function sliceAxis(dim: number, start: number, end: number, step: number): { first: number; count: number; reversed: boolean } {
  if (step === 0 || !Number.isFinite(step)) throw new ShapeError(`slice: step must be a non-zero integer, got ${step}`);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  if (step > 0) {
    const s = clamp(start < 0 ? start + dim : start, 0, dim);
    const e = clamp(end < 0 ? end + dim : end, 0, dim);
    return { first: s, count: Math.max(0, Math.ceil((e - s) / step)), reversed: false };
  }
  const s = clamp(start < 0 ? start + dim : start, 0, dim - 1);
  const e = clamp(end < 0 ? end + dim : end, -1, dim - 1);
  const count = Math.max(0, Math.ceil((s - e) / -step));
  return { first: count === 0 ? 0 : s - (count - 1) * -step, count, reversed: count > 1 };
}

function slicePlan(input: StructuralInput): StructuralPlan {
  const x = requireX("slice", input.x);
  const { starts, ends, axes, steps } = sliceSpec(input, x.shape.length);
  const shape = [...x.shape];
  const strides = [...x.strides];
  let offset = x.offset;
  const reverseAxes: number[] = [];
  axes.forEach((a, i) => {
    const { first, count, reversed } = sliceAxis(x.shape[a]!, starts[i]!, ends[i]!, steps[i]!);
    const step = Math.abs(steps[i]!);
    offset += first * x.strides[a]!;
    shape[a] = count;
    strides[a] = x.strides[a]! * step;
    if (reversed) reverseAxes.push(a);
  });
  return { kind: "view", change: { shape, strides, offset }, reverseAxes };
}

function splitPlans(input: StructuralInput): StructuralPlan[] {
  const x = requireX("split", input.x);
  const { axis, sizes } = splitParts(input, x.shape);
  let start = 0;
  // A shape of numbers always gives sizes.
  return sizes!.map((s) => {
    const shape = [...x.shape];
    shape[axis] = s;
    const plan: StructuralPlan = { kind: "view", change: { shape, strides: x.strides, offset: x.offset + start * x.strides[axis]! } };
    start += s;
    return plan;
  });
}

function squeezePlan(input: StructuralInput): StructuralPlan {
  const x = requireX("squeeze", input.x);
  const axes = squeezeAxes(input, x.shape);
  const keep = (_: number, i: number) => !axes.includes(i);
  return { kind: "view", change: { shape: x.shape.filter(keep), strides: x.strides.filter(keep), offset: x.offset } };
}

function unsqueezePlan(input: StructuralInput): StructuralPlan {
  const x = requireX("unsqueeze", input.x);
  const axes = unsqueezeAxes(input, x.shape.length);
  const rank = x.shape.length + axes.length;
  const shape: number[] = [];
  const strides: number[] = [];
  let src = 0;
  for (let i = 0; i < rank; i++) {
    if (axes.includes(i)) {
      shape.push(1);
      strides.push(src < x.shape.length ? x.strides[src]! * x.shape[src]! : 1);
    } else {
      shape.push(x.shape[src]!);
      strides.push(x.strides[src]!);
      src++;
    }
  }
  return { kind: "view", change: { shape, strides, offset: x.offset } };
}

function constantPlan(attrs: Attrs): StructuralPlan {
  const dtype = attrs.dtype ?? "float32";
  if (!isDType(dtype)) throw new DTypeError(`constant: unknown dtype ${JSON.stringify(dtype)}`);
  const shape = attrs.shape ?? [];
  const value = attrs.value;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`constant: invalid shape ${JSON.stringify(shape)}`);
  const values = typeof value === "number" ? [value] : value;
  if (!Array.isArray(values) || values.some((v) => typeof v !== "number")) throw new ShapeError(`constant: 'value' must be a list of numbers`);
  if (values.length !== sizeOf(shape)) throw new ShapeError(`constant: ${values.length} values do not fill shape ${formatShape(shape)}`);
  return { kind: "value", dtype, shape: [...shape], values };
}

/** What a structural node does, given its input view and the host values of its other inputs. */
export function planStructural(op: StructuralOp, input: StructuralInput): StructuralPlan[] {
  const { attrs } = input;
  switch (op) {
    case "identity":
      return [{ kind: "view", change: requireX(op, input.x) }];
    case "reshape": {
      const x = requireX(op, input.x);
      return [reshapeTo(x, resolveTarget(op, x.shape, reshapeTarget(input), Boolean(attrs.allowZero)))];
    }
    case "flatten": {
      const x = requireX(op, input.x);
      const axis = flattenAxis(attrs, x.shape);
      return [reshapeTo(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))])];
    }
    case "permute": {
      const x = requireX(op, input.x);
      const dims = listFrom(op, input, 1, "dims") ?? [...x.shape.keys()].reverse();
      return [{ kind: "view", change: permuteView(op, x, dims) }];
    }
    case "expand": {
      const x = requireX(op, input.x);
      return [{ kind: "view", change: expandView(op, x, broadcastShapes(op, x.shape, expandTarget(input))) }];
    }
    case "slice":
      return [slicePlan(input)];
    case "squeeze":
      return [squeezePlan(input)];
    case "unsqueeze":
      return [unsqueezePlan(input)];
    case "split":
      return splitPlans(input);
    case "constant":
      return [constantPlan(attrs)];
    case "shape": {
      const x = requireX(op, input.x);
      const { start, end } = shapeRange(attrs, x.shape.length);
      const dims = x.shape.slice(start, end);
      return [{ kind: "value", dtype: "int32", shape: [dims.length], values: dims }];
    }
    case "size": {
      const x = requireX(op, input.x);
      return [{ kind: "value", dtype: "int32", shape: [], values: [sizeOf(x.shape)] }];
    }
  }
}

/** Which inputs of a structural op are read as host values rather than as data. */
export function dataInputCount(op: StructuralOp): number {
  return op === "constant" ? 0 : 1;
}

/** The output shape a plan produces. */
export function planShape(plan: StructuralPlan): readonly number[] {
  return plan.kind === "view" ? plan.change.shape : plan.shape;
}

/** Row-major element offsets of a view, for host-side evaluation of small known values. */
export function viewElementOffsets(change: ViewChange): number[] {
  return Array.from(stridedOffsets(change.shape, change.strides, change.offset));
}

/** Host values after applying a plan to known row-major values (used for small shape tensors, whose entries may be symbols). */
export function applyPlanToValues(plan: StructuralPlan, values: readonly number[]): number[];
export function applyPlanToValues(plan: StructuralPlan, values: readonly Dim[]): Dim[];
export function applyPlanToValues(plan: StructuralPlan, values: readonly Dim[]): Dim[] {
  if (plan.kind === "value") return [...plan.values];
  if (plan.kind === "copy-reshape") return [...values];
  const picked = viewElementOffsets(plan.change).map((o) => values[o]!);
  const reverse = plan.reverseAxes ?? [];
  if (reverse.length === 0) return picked;
  // Flipping axes = reading the picked values through negative strides from the far corner.
  const shape = plan.change.shape;
  const strides = contiguousStrides(shape);
  const flipped: ViewChange = {
    shape,
    strides: strides.map((s, d) => (reverse.includes(d) ? -s : s)),
    offset: reverse.reduce((o, d) => o + (shape[d]! - 1) * strides[d]!, 0),
  };
  return viewElementOffsets(flipped).map((o) => picked[o]!);
}
