import { ShapeError } from "@polychip/hal";
import { input, output, type OpImporter } from "./helpers.ts";

/**
 * Col2Im (opset 18) over any number of image dims: each column value is added into the image
 * position its block and offset address (a scatterAdd with indices built at import); positions
 * in the padding go to one extra slot that is sliced away.
 */
const col2im: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const xs = ctx.shape(x, "Col2Im");
  const image = ctx.ints(input(ctx, node, 1), "Col2Im's image_shape");
  const block = ctx.ints(input(ctx, node, 2), "Col2Im's block_shape");
  const r = image.length;
  const dilations = node.attrs.ints("dilations") ?? new Array<number>(r).fill(1);
  const strides = node.attrs.ints("strides") ?? new Array<number>(r).fill(1);
  const pads = node.attrs.ints("pads") ?? new Array<number>(2 * r).fill(0);
  if (block.length !== r || dilations.length !== r || strides.length !== r || pads.length !== 2 * r)
    throw new ShapeError(`${ctx.where()}: image_shape, block_shape, dilations, strides (${r} each) and pads (${2 * r}) disagree`);
  const kernel = block.reduce((a, b) => a * b, 1);
  const blocks = image.map((d, i) => Math.floor((d + pads[i]! + pads[i + r]! - dilations[i]! * (block[i]! - 1) - 1) / strides[i]!) + 1);
  const count = blocks.reduce((a, b) => a * b, 1);
  if (xs.length !== 3 || xs[1]! % kernel !== 0 || xs[2] !== count || blocks.some((b) => b < 1))
    throw new ShapeError(
      `${ctx.where()}: input must be [N, C·${kernel}, ${count}] for image [${image.join(", ")}] and blocks [${block.join(", ")}], got [${xs.join(", ")}]`,
    );
  const [n, ck] = xs as [number, number];
  const c = ck / kernel;
  const pixels = image.reduce((a, b) => a * b, 1);
  const unravel = (flat: number, dims: readonly number[]) => {
    const out = new Array<number>(dims.length);
    for (let d = dims.length - 1; d >= 0; d--) {
      out[d] = flat % dims[d]!;
      flat = Math.floor(flat / dims[d]!);
    }
    return out;
  };
  const target = new Int32Array(kernel * count);
  for (let k = 0; k < kernel; k++) {
    const offset = unravel(k, block);
    for (let l = 0; l < count; l++) {
      const at = unravel(l, blocks).map((b, d) => b * strides[d]! - pads[d]! + offset[d]! * dilations[d]!);
      const inside = at.every((p, d) => p >= 0 && p < image[d]!);
      target[k * count + l] = inside ? at.reduce((flat, p, d) => flat * image[d]! + p, 0) : pixels;
    }
  }
  const cols = ctx.op("reshape", [x], { shape: [n, c, kernel * count] });
  const index = ctx.op("expand", [ctx.const(target, [1, 1, kernel * count], "int32")], { shape: [n, c, kernel * count] });
  const zeros = ctx.op("fill", [], { shape: [n, c, pixels + 1], dtype: ctx.dtype(x), value: 0 });
  const summed = ctx.op("scatterAdd", [zeros, index, cols], { axis: 2 });
  const inImage = ctx.op("slice", [summed], { starts: [0], ends: [pixels], axes: [2] });
  ctx.op("reshape", [inImage], { shape: [n, c, ...image] }, output(node));
};

export const COL2IM_IMPORTERS: Readonly<Record<string, OpImporter>> = { Col2Im: col2im };
