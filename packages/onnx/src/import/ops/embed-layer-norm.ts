import { ShapeError } from "@polychip/hal";
import { bin, castTo, input, optionalInput, output, type OpImporter } from "./helpers.ts";

/**
 * com.microsoft EmbedLayerNormalization (onnxruntime-optimised BERT exports): the word, position
 * (position_ids, or 0..S−1) and segment embeddings of input_ids [B, S] are summed and layer-
 * normalised with gamma and beta over the hidden dim. Output 1, mask_index [B], counts each row's
 * non-zero mask entries (zeros without a mask); output 2 is the sum before normalisation.
 */
export const embedLayerNormalization: OpImporter = (ctx, node) => {
  const ids = castTo(ctx, input(ctx, node, 0), "int32");
  if (ctx.rank(ids) !== 2) throw new ShapeError(`${ctx.where()}: input_ids must be [batch, sequence], got rank ${ctx.rank(ids)}`);
  const [batch, seq] = ctx.shape(ids, "EmbedLayerNormalization");
  const lookup = (table: string, indices: string) => ctx.op("gather", [table, castTo(ctx, indices, "int32")], { axis: 0 });
  const positionIds = optionalInput(node, 8);
  const positions =
    positionIds ??
    ctx.const(
      Array.from({ length: seq! }, (_, i) => i),
      [1, seq!],
      "int32",
    );
  let sum = bin(ctx, "add", lookup(input(ctx, node, 2), ids), lookup(input(ctx, node, 3), positions));
  const [segments, segmentTable] = [optionalInput(node, 1), optionalInput(node, 4)];
  if (segments && segmentTable) sum = bin(ctx, "add", sum, lookup(segmentTable, segments));
  const epsilon = node.attrs.float("epsilon", 1e-12);
  ctx.op("layerNorm", [sum, input(ctx, node, 5), input(ctx, node, 6)], { axis: 2, epsilon }, output(node));
  const maskIndex = output(node, 1);
  if (maskIndex) {
    const mask = optionalInput(node, 7);
    if (mask) {
      const nonZero = ctx.op("cast", [bin(ctx, "notEqual", castTo(ctx, mask, "int32"), ctx.scalar(0, "int32"))], { to: "float32" });
      ctx.op("cast", [ctx.op("reduceSum", [nonZero], { axes: [1], keepDims: false })], { to: "int32" }, maskIndex);
    } else ctx.bind(maskIndex, ctx.const(new Array<number>(batch!).fill(0), [batch!], "int32"));
  }
  ctx.bind(output(node, 2), sum);
};
