import { ShapeError } from "@polychip/hal";
import { castTo, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { scatterReplace } from "./scatter-reduce.ts";

/**
 * MaxUnpool (opsets 9, 11, 22): zeros of output_shape (when absent, each spatial dim is
 * (in − 1)·stride − pads + kernel) with X's values written where the indices, flat over that
 * whole tensor, point. The indices are MaxPool's, so they address the pooled op's input, which
 * output_shape restores: PyTorch's and onnxruntime's reading. ONNX's reference instead addresses
 * the unpooled shape and pads the rest (its with_output_shape node test); the spec's "partial
 * inverse of MaxPool" and exported models need the former.
 */
const maxUnpool: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const indices = input(ctx, node, 1);
  const xs = ctx.shape(x, "MaxUnpool");
  const r = xs.length - 2;
  const kernel = node.attrs.ints("kernel_shape");
  if (!kernel || kernel.length !== r) throw new ShapeError(`${ctx.where()}: kernel_shape must hold ${r} sizes for X [${xs.join(", ")}]`);
  const strides = node.attrs.ints("strides") ?? new Array<number>(r).fill(1);
  const pads = node.attrs.ints("pads") ?? new Array<number>(2 * r).fill(0);
  if (strides.length !== r || pads.length !== 2 * r)
    throw new ShapeError(`${ctx.where()}: strides (${strides.length}) and pads (${pads.length}) must hold ${r} and ${2 * r} values for X [${xs.join(", ")}]`);
  const inferred = [xs[0]!, xs[1]!, ...xs.slice(2).map((d, i) => (d - 1) * strides[i]! - pads[i]! - pads[i + r]! + kernel[i]!)];
  const shapeInput = optionalInput(node, 2);
  const outShape = shapeInput ? ctx.ints(shapeInput, "MaxUnpool's output_shape") : inferred;
  if (outShape.length !== xs.length || outShape[0] !== xs[0] || outShape[1] !== xs[1] || outShape.some((d) => !Number.isInteger(d) || d < 1))
    throw new ShapeError(`${ctx.where()}: output_shape [${outShape.join(", ")}] does not fit X [${xs.join(", ")}] (same rank, batch and channels)`);
  const total = outShape.reduce((a, b) => a * b, 1);
  const size = xs.reduce((a, b) => a * b, 1);
  const zeros = ctx.op("fill", [], { shape: [total], dtype: ctx.dtype(x), value: 0 });
  const flatIdx = ctx.op("reshape", [castTo(ctx, indices, "int32")], { shape: [size] });
  const written = scatterReplace(ctx, zeros, flatIdx, ctx.op("reshape", [x], { shape: [size] }), 0);
  ctx.op("reshape", [written], { shape: outShape }, output(node));
};

export const MAX_UNPOOL_IMPORTERS: Readonly<Record<string, OpImporter>> = { MaxUnpool: maxUnpool };
