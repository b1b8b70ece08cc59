import type { Attrs } from "./device.ts";
import type { DType } from "./dtype.ts";
import { ShapeError } from "./errors.ts";
import { broadcastDims, contiguousStrides, formatShape, sizeOf, type Dim } from "./shape.ts";
import {
  axisList,
  expandTarget,
  flattenAxis,
  formatProduct,
  listFrom,
  permutation,
  productDim,
  productOf,
  requireX,
  resolveTargetDims,
  reshapeTarget,
  shapeRange,
  sliceSpec,
  splitAxis,
  splitParts,
  squeezeAxes,
  unsqueezeAxes,
  type StructuralArgs,
} from "./structural-args.ts";
import { applyPlanToValues, planShape, planStructural, sliceAxis, type StructuralOp, type StructuralPlan } from "./structural.ts";

/**
 * The shape rules of the structural ops over dims that may be symbols ("batch"). An output dim is
 * a number where it can be computed, the input's symbol where it follows one, and otherwise a
 * fresh symbol from the caller, or a ShapeError when the caller gives none: never a number
 * computed from a placeholder. On numbers the rules give exactly what planStructural gives.
 */

/** An input whose values are known only at run time: how many there are (a 1-D shape-like input). */
export interface RunTimeValues {
  readonly runTimeLength: Dim;
}

/**
 * A value's dtype and (maybe symbolic) shape, with its row-major contents where known. Contents
 * may be symbols too: a value computed from shapes ([batch, seq, 3] from Shape → Slice → Concat).
 */
export interface SymbolicValue {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly values?: readonly Dim[];
}

export interface SymbolicStructuralInput {
  /** The data input, absent for `constant`. */
  readonly x?: SymbolicValue;
  /**
   * Host values of the other inputs; RunTimeValues where they exist but are computed at run time.
   * Entries may be symbols where a value is computed from shapes: a reshape or expand target, tile
   * repeats then give the symbols they name; any other argument with symbols is taken as run-time.
   */
  readonly extra: readonly (readonly Dim[] | RunTimeValues | undefined)[];
  readonly attrs: Attrs;
  readonly outputCount: number;
}

export interface SymbolicOptions {
  /** A fresh symbol for a dim no input symbol names (batch·seq), told why; without it such a dim is a ShapeError. */
  readonly fresh?: (what: string) => string;
  /** Largest view output whose values are computed from the input's values (default: any). */
  readonly valueLimit?: number;
}

/** No tensor has more dims than this; a run-time shape input claiming more is corrupt. */
export const MAX_RANK = 64;

/** ONNX bounds at or past this (INT64_MAX saturated to int32) mean "to the end". */
const TO_THE_END = 2 ** 31 - 1;

type Extra = SymbolicStructuralInput["extra"][number];

function isRunTime(v: Extra): v is RunTimeValues {
  return v !== undefined && !Array.isArray(v);
}

/** Arguments with symbols are known only at run time, save for the targets that read them as dims. */
function asRunTime(v: Extra): RunTimeValues | undefined {
  if (isRunTime(v)) return v;
  return v && !isStatic(v) ? { runTimeLength: v.length } : undefined;
}

function isStatic(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

/** Output dtype, shape and (where they follow) values of a structural op whose input dims may be symbols. */
export function inferStructuralSymbolic(op: StructuralOp, input: SymbolicStructuralInput, options: SymbolicOptions = {}): SymbolicValue[] {
  const unknown = (what: string): string => {
    if (options.fresh) return options.fresh(what);
    const x = input.x ? `${input.x.dtype}${formatShape(input.x.shape)}` : "none";
    throw new ShapeError(`${op}: cannot tell ${what} (input ${x}, attrs ${JSON.stringify(input.attrs)})`);
  };
  return withValues(op, input, shapeRule(op, input, unknown), options.valueLimit ?? Infinity);
}

type Unknown = (what: string) => string;

function shapeRule(op: StructuralOp, input: SymbolicStructuralInput, unknown: Unknown): SymbolicValue[] {
  const { attrs } = input;
  const runTime = (index: number) => asRunTime(input.extra[index - 1]);
  /** A target given as an input whose entries may be symbols (reshape, expand). */
  const dimsTarget = (index: number) => {
    const v = input.extra[index - 1];
    return v && !isRunTime(v) ? v : undefined;
  };
  const args: StructuralArgs = {
    extra: input.extra.map((v) => (asRunTime(v) ? undefined : (v as readonly number[] | undefined))),
    attrs,
    outputCount: input.outputCount,
  };
  if (op === "constant") {
    // A constant's plan is always a value: its attrs say dtype and shape.
    const plan = planStructural(op, { extra: [], attrs, outputCount: 1 })[0] as Extract<StructuralPlan, { kind: "value" }>;
    return [{ dtype: plan.dtype, shape: plan.shape }];
  }
  const x = requireX(op, input.x);
  const like = (shape: readonly Dim[]): SymbolicValue => ({ dtype: x.dtype, shape });
  switch (op) {
    case "identity":
      return [like(x.shape)];
    case "reshape": {
      const target = input.extra[0];
      if (isRunTime(target)) return [like(unknownDims(op, target, 0, unknown))];
      return [like(resolveTargetDims(op, x.shape, dimsTarget(1) ?? reshapeTarget(args), Boolean(attrs.allowZero), unknown))];
    }
    case "flatten": {
      const axis = flattenAxis(attrs, x.shape);
      return [like([productOrUnknown(x.shape.slice(0, axis), unknown), productOrUnknown(x.shape.slice(axis), unknown)])];
    }
    case "permute": {
      if (runTime(1)) throw new ShapeError(`permute: the order of dims is known only at run time (input ${formatShape(x.shape)})`);
      const dims = listFrom(op, args, 1, "dims") ?? [...x.shape.keys()].reverse();
      return [like(permutation(op, x.shape, dims).map((d) => x.shape[d]!))];
    }
    case "expand": {
      const target = input.extra[0];
      if (isRunTime(target)) return [like(unknownDims(op, target, x.shape.length, unknown))];
      const dims = dimsTarget(1);
      return [like(dims && !isStatic(dims) ? expandDims(op, x.shape, dims, unknown) : broadcastDims(op, x.shape, expandTarget(args)))];
    }
    case "slice":
      return [
        like(
          sliceDims(
            x.shape,
            args,
            [1, 2, 3, 4].some((i) => runTime(i)),
            runTime(3) !== undefined,
            unknown,
          ),
        ),
      ];
    case "squeeze": {
      if (runTime(1)) throw new ShapeError(`squeeze: the axes are known only at run time (input ${formatShape(x.shape)})`);
      const axes = squeezeAxes(args, x.shape);
      return [like(x.shape.filter((_, i) => !axes.includes(i)))];
    }
    case "unsqueeze": {
      if (runTime(1)) throw new ShapeError(`unsqueeze: the axes are known only at run time (input ${formatShape(x.shape)})`);
      const axes = unsqueezeAxes(args, x.shape.length);
      let src = 0;
      return [like(Array.from({ length: x.shape.length + axes.length }, (_, i) => (axes.includes(i) ? 1 : x.shape[src++]!)))];
    }
    case "split":
      return splitDims(x.shape, args, runTime(1) !== undefined, unknown).map(like);
    case "shape": {
      const { start, end } = shapeRange(attrs, x.shape.length);
      return [{ dtype: "int32", shape: [end - start] }];
    }
    case "size":
      return [{ dtype: "int32", shape: [] }];
  }
}

/**
 * Expand to a target whose entries may be symbols (Expand(x, Shape(y))): numpy broadcasting, where
 * a symbol against 1 stays, against a number n is n (the only size that broadcasts), and two
 * different symbols give a dim only the run knows (each may be 1).
 */
export function expandDims(op: string, x: readonly Dim[], target: readonly Dim[], unknown: Unknown): Dim[] {
  if (target.some((d) => typeof d === "number" && (!Number.isInteger(d) || d < 0))) throw new ShapeError(`${op}: invalid target shape ${formatShape(target)}`);
  const rank = Math.max(x.length, target.length);
  return Array.from({ length: rank }, (_, o) => {
    const a = x[o - rank + x.length] ?? 1;
    const b = target[o - rank + target.length] ?? 1;
    if (a === b || b === 1) return a;
    if (a === 1) return b;
    if (typeof a === "string" && typeof b === "string") return unknown(`dim ${o}: ${a} of the input broadcast with ${b} of the target`);
    if (typeof a === "string" || typeof b === "string") return typeof a === "number" ? a : b;
    throw new ShapeError(`${op}: shapes ${formatShape(x)} and ${formatShape(target)} cannot be broadcast together (dim ${o}: ${a} vs ${b})`);
  });
}

/** A target read from run-time data: its length gives the rank (at least `minRank`), its dims are unknown. */
function unknownDims(op: string, target: RunTimeValues, minRank: number, unknown: Unknown): Dim[] {
  const n = target.runTimeLength;
  if (typeof n !== "number") throw new ShapeError(`${op}: the target's length ${n} is known only at run time, so is the output's rank`);
  if (!Number.isInteger(n) || n < 0 || n > MAX_RANK) throw new ShapeError(`${op}: a target of ${n} dims is more than Polychip supports (${MAX_RANK})`);
  return Array.from({ length: Math.max(n, minRank) }, (_, i) => unknown(`dim ${i}, read from a target computed at run time`));
}

function productOrUnknown(dims: readonly Dim[], unknown: Unknown): Dim {
  const p = productOf(dims);
  return productDim(p) ?? unknown(`the product ${formatProduct(p)} as one dim`);
}

function sliceDims(shape: readonly Dim[], args: StructuralArgs, boundsAtRunTime: boolean, axesAtRunTime: boolean, unknown: Unknown): Dim[] {
  if (boundsAtRunTime) {
    // Bounds known only at run time: the listed axes (every axis when they are unknown too) are unknown.
    const listed = axesAtRunTime ? undefined : listFrom("slice", args, 3, "axes");
    const axes = listed ? axisList("slice", listed, shape.length) : [...shape.keys()];
    return shape.map((d, i) => (axes.includes(i) ? unknown(`dim ${i}, sliced by bounds computed at run time`) : d));
  }
  const { starts, ends, axes, steps } = sliceSpec(args, shape.length);
  const out = [...shape];
  axes.forEach((a, i) => {
    const [d, start, end, step] = [shape[a]!, starts[i]!, ends[i]!, steps[i]!];
    if (typeof d === "number") out[a] = sliceAxis(d, start, end, step).count;
    else {
      sliceAxis(0, start, end, step); // the step is checked whatever the dim
      out[a] = start === 0 && step === 1 && end >= TO_THE_END ? d : unknown(`dim ${a} (${d}) sliced ${start}:${end}:${step}`);
    }
  });
  return out;
}

function splitDims(shape: readonly Dim[], args: StructuralArgs, sizesAtRunTime: boolean, unknown: Unknown): Dim[][] {
  const n = args.outputCount;
  const parts = sizesAtRunTime ? { axis: splitAxis(args.attrs, shape) } : splitParts(args, shape);
  const dim = shape[parts.axis]!;
  return Array.from({ length: n }, (_, i) => {
    const out = [...shape];
    if (parts.sizes) out[parts.axis] = parts.sizes[i]!;
    else out[parts.axis] = n === 1 && !sizesAtRunTime ? dim : unknown(`part ${i} of dim ${parts.axis} (${dim}) split in ${n}`);
    return out;
  });
}

/**
 * Values follow from the HAL's plan where every dim and every argument is a number; the values
 * themselves may be symbols (a view of a shape value picks its entries). Shape and Size of a
 * symbolic shape give its dims and their product as values.
 */
function withValues(op: StructuralOp, input: SymbolicStructuralInput, metas: SymbolicValue[], limit: number): SymbolicValue[] {
  const { x } = input;
  if (x && !isStatic(x.shape)) return symbolicShapeValues(op, x.shape, input.attrs, metas);
  const producesValues = op === "constant" || op === "shape" || op === "size";
  if (!producesValues && !x?.values) return metas;
  if (input.extra.some((v) => asRunTime(v))) return metas;
  const plans = planStructural(op, {
    x: x && { dtype: x.dtype, shape: x.shape as number[], strides: contiguousStrides(x.shape as number[]), offset: 0 },
    extra: input.extra as (readonly number[] | undefined)[],
    attrs: input.attrs,
    outputCount: input.outputCount,
  });
  return plans.map((plan, i) => {
    const values = plan.kind === "value" ? plan.values : x?.values && sizeOf(planShape(plan)) <= limit ? applyPlanToValues(plan, x.values) : undefined;
    return values ? { ...metas[i]!, values } : metas[i]!;
  });
}

/** Shape and Size of a shape with symbols: the dims themselves, their product where it is one dim. */
function symbolicShapeValues(op: StructuralOp, shape: readonly Dim[], attrs: Attrs, metas: SymbolicValue[]): SymbolicValue[] {
  if (op === "shape") {
    const { start, end } = shapeRange(attrs, shape.length);
    return [{ ...metas[0]!, values: shape.slice(start, end) }];
  }
  const size = op === "size" ? productDim(productOf(shape)) : undefined;
  return size === undefined ? metas : [{ ...metas[0]!, values: [size] }];
}
