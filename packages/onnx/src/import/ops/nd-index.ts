import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { lowerThroughHost } from "../host-step.ts";
import { bin, castTo, input, output, type OpImporter } from "./helpers.ts";
import { isCombiningReduction, scatterReduce, scatterReplace } from "./scatter-reduce.ts";

/**
 * NonZero, GatherND and ScatterND. NonZero's output size depends on the data, so it runs on the
 * host (host-step.ts): at import when its input is known, else per run under OnnxSession, whose
 * plan for the rest of the model then reads the indices as an input of that size. GatherND and
 * ScatterND address the first k dims of the data with k-tuples (GatherND after its batch_dims;
 * ScatterND has none); both become a gather / scatter along one axis of the data with those k
 * dims flattened into a linear index.
 */
const nonZero: OpImporter = (ctx, node) =>
  lowerThroughHost(ctx, node, {
    reads: [input(ctx, node, 0)],
    why: "NonZero's input (the number of indices it returns depends on its values)",
    results: 1,
    compute: nonZeroStep,
    lower: ([indices]) => ctx.bind(output(node), indices!),
  });

/** NonZero's host part (module level: a closure in the importer would keep the import alive while a session caches the step). */
const nonZeroStep = ([x]: readonly (HostTensor | undefined)[]) => [nonZeroIndices(x!)];

/** The [rank, count] indices of x's non-zero elements, in row-major order (a scalar counts as rank 1). */
export function nonZeroIndices(x: HostTensor): HostTensor {
  const shape = x.shape.length === 0 ? [1] : x.shape;
  let count = 0;
  for (let i = 0; i < x.data.length; i++) if (x.data[i]) count++;
  const indices = new Int32Array(shape.length * count);
  for (let i = 0, j = 0; i < x.data.length; i++) {
    if (!x.data[i]) continue;
    for (let d = shape.length - 1, flat = i; d >= 0; d--) {
      indices[d * count + j] = flat % shape[d]!;
      flat = Math.floor(flat / shape[d]!);
    }
    j++;
  }
  return { dtype: "int32", shape: [shape.length, count], data: indices };
}

interface Addressed {
  /** The data with its batch dims and the k addressed dims flattened into one: [m, ...rest]. */
  readonly flat: string;
  /** One linear index per tuple, in [0, m): shape = indices.shape[:-1]. */
  readonly linear: string;
  readonly rest: readonly number[];
  readonly tuples: readonly number[];
}

/**
 * The linear index of each k-tuple of `indices` into dims batch_dims … batch_dims+k-1 of `data`
 * (negative indices count from the end), offset by the tuple's batch: GatherND's batch_dims b
 * pairs the first b dims of indices with those of data, so batch i reads block i of the flattened data.
 */
function address(ctx: ImportContext, node: OnnxNode, data: string, indices: string): Addressed {
  const dims = ctx.shape(data, node.opType);
  const ishape = ctx.shape(indices, node.opType);
  const b = node.attrs.int("batch_dims", 0);
  const k = ishape[ishape.length - 1]!;
  if (!Number.isInteger(b) || b < 0 || b >= Math.min(dims.length, ishape.length) || dims.slice(0, b).some((d, i) => d !== ishape[i]))
    throw new ShapeError(`${ctx.where()}: batch_dims ${b} must name leading dims that data [${dims.join(", ")}] and indices [${ishape.join(", ")}] share`);
  if (ishape.length < 1 || b + k > dims.length)
    throw new ShapeError(`${ctx.where()}: indices [${ishape.join(", ")}] address ${k} dims of data [${dims.join(", ")}] after ${b} batch dims`);
  const lead = dims.slice(b, b + k);
  const strides = lead.map((_, j) => lead.slice(j + 1).reduce((a, b) => a * b, 1));
  const i32 = castTo(ctx, indices, "int32");
  const wrapped = ctx.op("where", [bin(ctx, "less", i32, ctx.scalar(0, "int32")), bin(ctx, "add", i32, ctx.const(lead, [k], "int32")), i32]);
  const within = ctx.op("reduceSum", [bin(ctx, "mul", wrapped, ctx.const(strides, [k], "int32"))], { axes: [ishape.length - 1], keepDims: false });
  const block = lead.reduce((x, y) => x * y, 1);
  const batches = dims.slice(0, b).reduce((x, y) => x * y, 1);
  const tuples = ishape.slice(0, -1);
  const inBlock = b === 0 ? within : bin(ctx, "add", within, batchOffsets(ctx, tuples, b, block));
  // A component outside its dim would land in another row of the flattened data: such a tuple
  // becomes index -1, which the gather or scatter refuses, instead of reading the wrong element.
  const leadDims = ctx.const(lead, [k], "int32");
  const fits = ctx.op("logicalAnd", [bin(ctx, "greaterEqual", wrapped, ctx.scalar(0, "int32")), bin(ctx, "less", wrapped, leadDims)]);
  const allFit = ctx.op("reduceMin", [castTo(ctx, fits, "int32")], { axes: [ishape.length - 1], keepDims: false });
  const linear = ctx.op("where", [bin(ctx, "equal", allFit, ctx.scalar(1, "int32")), inBlock, ctx.scalar(-1, "int32")]);
  const rest = dims.slice(b + k);
  return { flat: ctx.op("reshape", [data], { shape: [batches * block, ...rest] }), linear, rest, tuples };
}

/** For tuples laid out as `tuples` (b batch dims first), the start of each tuple's batch block of size `block`. */
function batchOffsets(ctx: ImportContext, tuples: readonly number[], b: number, block: number): string {
  const n = tuples.reduce((x, y) => x * y, 1);
  const perBatch = tuples.slice(b).reduce((x, y) => x * y, 1);
  return ctx.const(
    Int32Array.from({ length: n }, (_, i) => Math.floor(i / perBatch) * block),
    tuples,
    "int32",
  );
}

const gatherND: OpImporter = (ctx, node) => {
  const data = input(ctx, node, 0);
  const { flat, linear, rest, tuples } = address(ctx, node, data, input(ctx, node, 1));
  const gathered = ctx.op("gather", [flat, ctx.op("reshape", [linear], { shape: [tuples.reduce((a, b) => a * b, 1)] })], { axis: 0 });
  ctx.op("reshape", [gathered], { shape: [...tuples, ...rest] }, output(node));
};

/**
 * ScatterND: data with the addressed slices replaced by the updates ("none"; duplicate indices
 * add, where ONNX leaves the order undefined), added to them ("add") or combined with them by
 * mul/max/min (scatter-reduce.ts; duplicates combine too).
 */
const scatterND: OpImporter = (ctx, node) => {
  const data = input(ctx, node, 0);
  const updates = input(ctx, node, 2);
  const reduction = node.attrs.string("reduction", "none");
  if (reduction !== "none" && reduction !== "add" && !isCombiningReduction(reduction))
    throw new UnsupportedOpError(`${ctx.where()}: reduction '${reduction}' is not supported (none, add, mul, max, min)`);
  const { flat, linear, rest, tuples } = address(ctx, node, data, input(ctx, node, 1));
  const n = tuples.reduce((a, b) => a * b, 1);
  const want = [...tuples, ...rest];
  const got = ctx.shape(updates, "ScatterND");
  if (got.length !== want.length || got.some((d, i) => d !== want[i]))
    throw new ShapeError(`${ctx.where()}: updates must be [${want.join(", ")}], got [${got.join(", ")}]`);
  const rows = ctx.op("reshape", [updates], { shape: [n, ...rest] });
  const lin = ctx.op("reshape", [linear], { shape: [n, ...rest.map(() => 1)] });
  const idx = ctx.op("expand", [lin], { shape: [n, ...rest] });
  const result =
    reduction === "add"
      ? ctx.op("scatterAdd", [flat, idx, rows], { axis: 0 })
      : isCombiningReduction(reduction)
        ? scatterReduce(ctx, flat, idx, rows, 0, reduction)
        : scatterReplace(ctx, flat, idx, rows, 0);
  ctx.op("reshape", [result], { shape: ctx.shape(data, "ScatterND") }, output(node));
};

export const ND_INDEX_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  NonZero: nonZero,
  GatherND: gatherND,
  ScatterND: scatterND,
};
