import { ShapeError } from "@polychip/hal";
import { axesOf, input, output, type OpImporter } from "./helpers.ts";

/**
 * CenterCropPad (opset 18): one pad per axis, negative to crop; an odd difference puts the
 * extra element at the end, as ONNX's reference does.
 */
const centerCropPad: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const shape = ctx.shape(x, "CenterCropPad");
  const target = ctx.ints(input(ctx, node, 1), "CenterCropPad's shape");
  const rank = shape.length;
  const axes = axesOf(ctx, node.attrs.ints("axes") ?? [...Array(rank).keys()], rank);
  if (target.length !== axes.length) throw new ShapeError(`${ctx.where()}: shape has ${target.length} sizes for ${axes.length} axes`);
  const pads = new Array<number>(2 * rank).fill(0);
  axes.forEach((a, i) => {
    const want = target[i]!;
    if (!Number.isInteger(want) || want < 0) throw new ShapeError(`${ctx.where()}: target size ${want} for axis ${a} is invalid`);
    const diff = want - shape[a]!;
    const sign = Math.sign(diff);
    const half = Math.floor(Math.abs(diff) / 2);
    pads[a] = sign * half;
    pads[a + rank] = sign * (Math.abs(diff) - half);
  });
  ctx.op("pad", [x], { pads, mode: "constant", value: 0 }, output(node));
};

export const CENTER_CROP_PAD_IMPORTERS: Readonly<Record<string, OpImporter>> = { CenterCropPad: centerCropPad };
