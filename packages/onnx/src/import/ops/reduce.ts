import { isFloat, ShapeError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { axesOf, axisOf, bin, input, optionalInput, output, scalarLike, un, type OpImporter } from "./helpers.ts";

/** The reduced axes of a ReduceX node, or undefined for "all" and "none" for a no-op. */
function reducedAxes(ctx: ImportContext, node: OnnxNode, axesInputSince: number): number[] | undefined | "none" {
  const rank = ctx.rank(input(ctx, node, 0));
  let axes: number[] | undefined;
  if (node.opset >= axesInputSince) {
    const name = optionalInput(node, 1);
    if (name) axes = ctx.ints(name, "the axes of a reduction");
  } else axes = node.attrs.ints("axes");
  if (axes === undefined || axes.length === 0) {
    // noop_with_empty_axes (opset 13/18+): no axes means "reduce nothing" instead of "reduce all".
    return node.attrs.int("noop_with_empty_axes", 0) === 1 ? "none" : undefined;
  }
  return axesOf(ctx, axes, rank);
}

/** How many elements each output of the reduction sums (ReduceMean's divisor). */
function reducedCount(ctx: ImportContext, x: string, axes: number[] | undefined): number {
  const shape = ctx.shape(x, "ReduceMean's divisor");
  return (axes ?? shape.map((_, i) => i)).reduce((n, a) => n * shape[a]!, 1);
}

type Reduction = (ctx: ImportContext, x: string, attrs: { axes?: number[]; keepDims: boolean }, out: string | undefined) => string;

const reduction =
  (axesInputSince: number, build: Reduction): OpImporter =>
  (ctx, node) => {
    const x = input(ctx, node, 0);
    const axes = reducedAxes(ctx, node, axesInputSince);
    const keepDims = node.attrs.int("keepdims", 1) === 1;
    if (axes === "none") {
      // Reducing no axis still applies the elementwise part (ReduceL1 of one element is |x|).
      ctx.bind(output(node), build(ctx, x, { axes: [], keepDims: true }, output(node)));
      return;
    }
    const attrs = axes === undefined ? { keepDims } : { axes, keepDims };
    ctx.bind(output(node), build(ctx, x, attrs, output(node)));
  };

const sum = (ctx: ImportContext, x: string, attrs: { axes?: number[]; keepDims: boolean }, out?: string) =>
  attrs.axes && attrs.axes.length === 0 ? ctx.op("identity", [x], {}, out) : ctx.op("reduceSum", [x], attrs, out);

const simple =
  (op: string): Reduction =>
  (ctx, x, attrs, out) =>
    attrs.axes && attrs.axes.length === 0 ? ctx.op("identity", [x], {}, out) : ctx.op(op, [x], attrs, out);

/** Whether the reduction runs over a dim of size 0 (an empty Compress or NonZero result): each output reduces no element. */
function reducesNothing(ctx: ImportContext, x: string, axes: number[] | undefined): boolean {
  const dims = ctx.dims(x);
  return (axes ?? dims.map((_, i) => i)).some((a) => dims[a] === 0);
}

/** The max (or min) of no elements, as onnxruntime gives it: the dtype's lowest (highest) value, -Infinity (+Infinity) for floats. */
function emptyExtreme(dtype: DType, max: boolean): number {
  const [lowest, highest] = isFloat(dtype) ? [-Infinity, Infinity] : INTEGER_RANGE[dtype as keyof typeof INTEGER_RANGE];
  return max ? lowest : highest;
}

const INTEGER_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], int8: [-128, 127], uint8: [0, 255], bool: [0, 1] } as const;

/** ReduceMax / ReduceMin; over an empty dim the HAL's reductions have no element to start from, so each output is the identity value. */
const extreme =
  (op: "reduceMax" | "reduceMin"): Reduction =>
  (ctx, x, attrs, out) => {
    // Bool (opset 20): any / all, as the max / min of 0s and 1s held in uint8.
    if (ctx.dtype(x) === "bool") return ctx.op("cast", [extreme(op)(ctx, ctx.op("cast", [x], { to: "uint8" }), attrs, undefined)], { to: "bool" }, out);
    if (!reducesNothing(ctx, x, attrs.axes)) return simple(op)(ctx, x, attrs, out);
    // The sum of nothing is 0 in the output's shape (symbolic dims included).
    return bin(ctx, "add", sum(ctx, x, attrs), scalarLike(ctx, emptyExtreme(ctx.dtype(x), op === "reduceMax"), x), out);
  };

const mean: Reduction = (ctx, x, attrs, out) => {
  if (attrs.axes && attrs.axes.length === 0) return ctx.op("identity", [x], {}, out);
  // The mean of no elements is 0 in onnxruntime (not 0 / 0).
  if (reducesNothing(ctx, x, attrs.axes)) return sum(ctx, x, attrs, out);
  return bin(ctx, "div", sum(ctx, x, attrs), scalarLike(ctx, reducedCount(ctx, x, attrs.axes), x), out);
};

const l1: Reduction = (ctx, x, attrs, out) => sum(ctx, un(ctx, "abs", x), attrs, out);
const sumSquare: Reduction = (ctx, x, attrs, out) => sum(ctx, bin(ctx, "mul", x, x), attrs, out);
const l2: Reduction = (ctx, x, attrs, out) => un(ctx, "sqrt", sum(ctx, bin(ctx, "mul", x, x), attrs), out);
const logSum: Reduction = (ctx, x, attrs, out) => un(ctx, "log", sum(ctx, x, attrs), out);

/** log(Σ exp(x)), shifted by the max so large inputs do not overflow (plain form for empty reductions). */
const logSumExp: Reduction = (ctx, x, attrs, out) => {
  const shape = ctx.dims(x);
  const empty = (attrs.axes ?? shape.map((_, i) => i)).some((a) => shape[a] === 0);
  if (empty || (attrs.axes && attrs.axes.length === 0)) return un(ctx, "log", sum(ctx, un(ctx, "exp", x), attrs), out);
  const max = ctx.op("reduceMax", [x], { ...attrs, keepDims: true });
  const summed = sum(ctx, un(ctx, "exp", bin(ctx, "sub", x, max)), { ...attrs, keepDims: true });
  const result = bin(ctx, "add", un(ctx, "log", summed), max);
  if (attrs.keepDims) return ctx.op("identity", [result], {}, out);
  const axes = attrs.axes ?? shape.map((_, i) => i);
  return ctx.op("squeeze", [result], { axes }, out);
};

const argReduce =
  (op: string): OpImporter =>
  (ctx, node) => {
    const x = input(ctx, node, 0);
    const rank = ctx.rank(x);
    if (rank === 0) throw new ShapeError(`${ctx.where()}: cannot take ${op} of a scalar`);
    const axis = axisOf(ctx, node.attrs.int("axis", 0), rank);
    ctx.op(op, [x], { axis, keepDims: node.attrs.int("keepdims", 1) === 1, selectLastIndex: node.attrs.int("select_last_index", 0) === 1 }, output(node));
  };

export const REDUCE_IMPORTERS: Record<string, OpImporter> = {
  ReduceSum: reduction(13, (ctx, x, attrs, out) => sum(ctx, x, attrs, out)),
  ReduceMean: reduction(18, mean),
  ReduceMax: reduction(18, extreme("reduceMax")),
  ReduceMin: reduction(18, extreme("reduceMin")),
  ReduceProd: reduction(18, simple("reduceProd")),
  ReduceL1: reduction(18, l1),
  ReduceL2: reduction(18, l2),
  ReduceLogSum: reduction(18, logSum),
  ReduceLogSumExp: reduction(18, logSumExp),
  ReduceSumSquare: reduction(18, sumSquare),
  ArgMax: argReduce("argMax"),
  ArgMin: argReduce("argMin"),
};
