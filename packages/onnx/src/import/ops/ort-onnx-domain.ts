import { UnsupportedOpError } from "@polychip/hal";
import { axisOf, input, output, type OpImporter } from "./helpers.ts";
import { rmsNormOf } from "./normalization.ts";
import { refuseUnknownAttributes } from "./ort-fused.ts";
import { qLinearConv } from "./quantize.ts";

/**
 * SimplifiedLayerNormalization: onnxruntime registers it in the default ONNX domain (version 1),
 * so its optimiser writes it with domain "" — x / sqrt(mean(x²) + ε) · scale over the dims from
 * `axis` on. stash_type 1 (float32 statistics) is the only one defined; the inv_std_var output
 * is refused.
 */
const simplifiedLayerNormalization: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["axis", "epsilon", "stash_type"]);
  const stash = node.attrs.int("stash_type", 1);
  if (stash !== 1) throw new UnsupportedOpError(`${ctx.where()}: SimplifiedLayerNormalization's stash_type ${stash} is not supported (1, float32, is)`);
  if (output(node, 1)) throw new UnsupportedOpError(`${ctx.where()}: SimplifiedLayerNormalization's inv_std_var output is not supported`);
  const x = input(ctx, node, 0);
  rmsNormOf(ctx, x, axisOf(ctx, node.attrs.int("axis", -1), ctx.rank(x)), node.attrs.float("epsilon", 1e-5), input(ctx, node, 1), output(node));
};

/** onnxruntime's operators in the default domain, as its optimiser writes them. */
export const ORT_ONNX_DOMAIN_IMPORTERS: Record<string, OpImporter> = {
  SimplifiedLayerNormalization: simplifiedLayerNormalization,
};

/**
 * QLinearConv (com.microsoft): ONNX's QLinearConv, which onnxruntime's "all" level writes with
 * channels_last=1 — X and Y channels-last ([N, ..spatial, C]), W still [M, C/group, ..kernel].
 * Lowered as a transpose to channels-first, ONNX's QLinearConv and a transpose back.
 */
const qLinearConvChannelsLast: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["auto_pad", "kernel_shape", "dilations", "strides", "pads", "group", "channels_last"]);
  const channelsLast = node.attrs.int("channels_last", 0);
  if (channelsLast === 0) {
    qLinearConv(ctx, node);
    return;
  }
  if (channelsLast !== 1) throw new UnsupportedOpError(`${ctx.where()}: QLinearConv's channels_last must be 0 or 1, got ${channelsLast}`);
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  if (rank < 3) throw new UnsupportedOpError(`${ctx.where()}: QLinearConv with channels_last needs an input of rank 3 or more, got rank ${rank}`);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const first = ctx.op("permute", [x], { dims: [0, rank - 1, ...spatial] });
  const y = ctx.fresh("qlinear_conv_nchw");
  qLinearConv(ctx, { ...node, inputs: [first, ...node.inputs.slice(1)], outputs: [y] });
  ctx.op("permute", [y], { dims: [0, ...spatial.map((d) => d + 1), 1] }, output(node));
};

export const ORT_CONTRIB_CONV_IMPORTERS: Record<string, OpImporter> = {
  QLinearConv: qLinearConvChannelsLast,
};
