import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo } from "./helpers.ts";
import { conv } from "./conv.ts";

/**
 * Terms one float32 conv may sum and stay exact on centred 8-bit values: every partial sum of at
 * most 258 products of magnitude ≤ 255·255 stays below 2^24, whatever the order.
 */
const EXACT_TERMS = 258;

/**
 * A quantised conv's operands as float32 integer values: x − x_zp and w − w_zp, where w's zero
 * point may be one per output channel.
 */
function centredConvOperands(ctx: ImportContext, x: string, xzp: string | undefined, w: string, wzp: string | undefined): [string, string] {
  const xf = castTo(ctx, x, "float32");
  const wf = castTo(ctx, w, "float32");
  const wRank = ctx.rank(w);
  const wzpAligned =
    wzp && ctx.rank(wzp) === 1 && ctx.dims(wzp)[0] !== 1 ? ctx.op("reshape", [wzp], { shape: [-1, ...new Array<number>(wRank - 1).fill(1)] }) : wzp;
  return [xzp ? bin(ctx, "sub", xf, castTo(ctx, xzp, "float32")) : xf, wzpAligned ? bin(ctx, "sub", wf, castTo(ctx, wzpAligned, "float32")) : wf];
}

/**
 * The int32 convolution of (x − x_zp) and (w − w_zp) for ConvInteger and QLinearConv, exact: a
 * float32 conv is exact only while its sums stay below 2^24, so when one output sums more than
 * EXACT_TERMS products the input channels are split into chunks that do not, each chunk's conv
 * cast to int32 and the chunks added in int32. A grouped conv (and a kernel of more than
 * EXACT_TERMS taps) stays one float32 conv: exact while its sums stay below 2^24.
 */
export function integerConvOf(ctx: ImportContext, node: OnnxNode, x: string, xzp: string | undefined, w: string, wzp: string | undefined): string {
  const [xf, wf] = centredConvOperands(ctx, x, xzp, w, wzp);
  const wDims = ctx.shape(w, "an integer convolution's weight");
  const taps = wDims.slice(2).reduce((a, b) => a * b, 1);
  const channels = wDims[1]!;
  const perChunk = Math.floor(EXACT_TERMS / taps);
  const floatConv = (xs: string, ws: string) => {
    const acc = ctx.fresh(`${node.name}_acc`);
    conv(ctx, { ...node, inputs: [xs, ws], outputs: [acc] });
    return ctx.op("cast", [acc], { to: "int32" });
  };
  if (channels * taps <= EXACT_TERMS || node.attrs.int("group", 1) !== 1 || perChunk === 0) return floatConv(xf, wf);
  const channelSlice = (v: string, c0: number, c1: number) => ctx.op("slice", [v], { starts: [c0], ends: [c1], axes: [1] });
  let sum: string | undefined;
  for (let c0 = 0; c0 < channels; c0 += perChunk) {
    const c1 = Math.min(channels, c0 + perChunk);
    const part = floatConv(channelSlice(xf, c0, c1), channelSlice(wf, c0, c1));
    sum = sum === undefined ? part : bin(ctx, "add", sum, part);
  }
  return sum!;
}
