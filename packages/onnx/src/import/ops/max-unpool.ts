import { ShapeError } from "@polychip/hal";
import { castTo, input, optionalInput, output, scatterReplace, type OpImporter } from "./helpers.ts";

/**
 * MaxUnpool (opsets 9, 11, 22): zeros of the unpooled shape (each spatial dim (in − 1)·stride −
 * pads + kernel) with X's values written where MaxPool's indices (flat over that whole tensor)
 * point, padded with zeros at the end of each dim up to output_shape when it is given.
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
  const inferred = [xs[0]!, xs[1]!, ...xs.slice(2).map((d, i) => (d - 1) * strides[i]! - pads[i]! - pads[i + r]! + kernel[i]!)];
  const shapeInput = optionalInput(node, 2);
  const outShape = shapeInput ? ctx.ints(shapeInput, "MaxUnpool's output_shape") : inferred;
  if (outShape.length !== xs.length || outShape.some((d, i) => d < inferred[i]!))
    throw new ShapeError(`${ctx.where()}: output_shape [${outShape.join(", ")}] is smaller than the unpooled shape [${inferred.join(", ")}]`);
  const total = inferred.reduce((a, b) => a * b, 1);
  const size = xs.reduce((a, b) => a * b, 1);
  const zeros = ctx.op("fill", [], { shape: [total], dtype: ctx.dtype(x), value: 0 });
  const flatIdx = ctx.op("reshape", [castTo(ctx, indices, "int32")], { shape: [size] });
  const written = ctx.op("reshape", [scatterReplace(ctx, zeros, flatIdx, ctx.op("reshape", [x], { shape: [size] }), 0)], { shape: inferred });
  // A larger output_shape keeps the unpooled values at the start of each dim, zeros after.
  const pad = [...inferred.map(() => 0), ...outShape.map((d, i) => d - inferred[i]!)];
  ctx.op("pad", [written], { pads: pad, mode: "constant", value: 0 }, output(node));
};

export const MAX_UNPOOL_IMPORTERS: Readonly<Record<string, OpImporter>> = { MaxUnpool: maxUnpool };
