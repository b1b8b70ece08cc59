import { UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { input, output, refuseUnknownAttributes, type OpImporter } from "./helpers.ts";
import { POOL_IMPORTERS } from "./pool.ts";
import { qLinearConv } from "./quantize.ts";

/**
 * The channels-last (NHWC) operators onnxruntime's "all" level writes for 8-bit models (its
 * NhwcTransformer): each is the channels-first operator between a transpose to [N, C, ..spatial]
 * and one back.
 */

function channelsLastInput(ctx: ImportContext, x: string, op: string): { first: string; back: number[] } {
  const rank = ctx.rank(x);
  if (rank < 3) throw new UnsupportedOpError(`${ctx.where()}: ${op} needs a channels-last input of rank 3 or more, got rank ${rank}`);
  const spatial = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  return { first: ctx.op("permute", [x], { dims: [0, rank - 1, ...spatial] }), back: [0, ...spatial.map((d) => d + 1), 1] };
}

/**
 * QLinearConv (com.microsoft): ONNX's QLinearConv, with channels_last=1 X and Y channels-last
 * ([N, ..spatial, C]) and W still [M, C/group, ..kernel].
 */
const qLinearConvChannelsLast: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["auto_pad", "kernel_shape", "dilations", "strides", "pads", "group", "channels_last"]);
  const channelsLast = node.attrs.int("channels_last", 0);
  if (channelsLast === 0) {
    qLinearConv(ctx, node);
    return;
  }
  if (channelsLast !== 1) throw new UnsupportedOpError(`${ctx.where()}: QLinearConv's channels_last must be 0 or 1, got ${channelsLast}`);
  const { first, back } = channelsLastInput(ctx, input(ctx, node, 0), "QLinearConv");
  const y = ctx.fresh("qlinear_conv_nchw");
  qLinearConv(ctx, { ...node, inputs: [first, ...node.inputs.slice(1)], outputs: [y] });
  ctx.op("permute", [y], { dims: back }, output(node));
};

/** NhwcMaxPool (com.microsoft, int8/uint8): MaxPool over a channels-last input, with MaxPool's attributes (no Indices output). */
const nhwcMaxPool: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]);
  if (output(node, 1)) throw new UnsupportedOpError(`${ctx.where()}: NhwcMaxPool has one output`);
  const { first, back } = channelsLastInput(ctx, input(ctx, node, 0), "NhwcMaxPool");
  const y = ctx.fresh("max_pool_nchw");
  POOL_IMPORTERS.MaxPool!(ctx, { ...node, opType: "MaxPool", domain: "", opset: 12, inputs: [first], outputs: [y] });
  ctx.op("permute", [y], { dims: back }, output(node));
};

export const ORT_CHANNELS_LAST_IMPORTERS: Record<string, OpImporter> = {
  QLinearConv: qLinearConvChannelsLast,
  NhwcMaxPool: nhwcMaxPool,
};
