import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { window2dAttrs, type WindowAttrs } from "./pooling-geometry.ts";

/** Most elements one image's depth-unfolded block may hold; longer output depths go in chunks (a test lowers it). */
export const conv3dLimits = { maxUnfolded: 1 << 24 };

/**
 * A 3-D convolution as 2-D ones, so every device runs it: the input's depth taps are gathered
 * into channels (x[N, C, D, H, W] → [N·OD, C·KD, H, W], each output depth seeing its KD input
 * planes) and one conv2d with the weight read as [OC, C/group·KD, KH, KW] does the rest. Channel
 * order (c, kd) keeps each group's channels contiguous, so groups and depthwise convs need
 * nothing more. Output depths are processed in chunks that keep the unfolded block below
 * conv3dLimits.maxUnfolded elements per image. The batch may be symbolic; C, D, H and W must be known.
 *
 * Why one conv2d over unfolded depth: on cpu, for x [1, 16, 8, 56, 56] · w [32, 16, 3, 3, 3]
 * with pads 1 (best of 8, the alternatives timed in the same process, three runs) it took
 * 28-48 ms, against 61-68 ms for a graph-level im2col (nine shifted slices of the unfolded
 * planes) + matmul and 870 ms for a sum over depth taps of conv2ds on depth-strided slices: one
 * large conv2d keeps the device's fast kernel busy and never materialises the columns.
 */
export function conv3d(ctx: ImportContext, x: string, w: string, bias: string | undefined, win: WindowAttrs, groups: number, out: string | undefined): string {
  const known = ctx.dims(x).slice(1);
  if (!known.every((v) => typeof v === "number")) {
    throw new UnsupportedOpError(`${ctx.where()}: a 3-D convolution needs the channel and spatial sizes of its input, got [${ctx.dims(x).join(", ")}]`);
  }
  const [c, d, h, wd] = known as number[];
  const [oc, cg, kd, kh, kw] = ctx.shape(w, "a 3-D convolution's weight");
  if (groups < 1 || c! % groups !== 0 || cg! * groups !== c!) {
    throw new ShapeError(`${ctx.where()}: weight [${ctx.dims(w)}] and group ${groups} do not fit input channels ${c}`);
  }
  const [strideD, dilD] = [win.strides[0]!, win.dilations[0]!];
  const paddedDepth = d! + win.pads[0]! + win.pads[3]!;
  const od = Math.floor((paddedDepth - (kd! - 1) * dilD - 1) / strideD) + 1;
  if (od < 1) throw new ShapeError(`${ctx.where()}: the depth window (${kd} taps, dilation ${dilD}) is wider than the padded depth ${paddedDepth}`);
  const padded =
    win.pads[0]! + win.pads[3]! > 0 ? ctx.op("pad", [x], { pads: [0, 0, win.pads[0]!, 0, 0, 0, 0, win.pads[3]!, 0, 0], mode: "constant", value: 0 }) : x;
  const planar = { ...window2dAttrs(win, 1, 2), groups };
  delete (planar as { kernel?: number[] }).kernel;
  const hw = [h!, wd!];
  const fromDepthMajor = (y: string, depth: number) => {
    const [, , oh, ow] = ctx.dims(y);
    return ctx.op("permute", [ctx.op("reshape", [y], { shape: [-1, depth, oc!, oh as number, ow as number] })], { dims: [0, 2, 1, 3, 4] });
  };
  const weight = ctx.op("reshape", [w], { shape: [oc!, cg! * kd!, kh!, kw!] });
  const perDepth = c * kd! * hw[0]! * hw[1]!;
  const chunk = Math.max(1, Math.floor(conv3dLimits.maxUnfolded / perDepth));
  const parts: string[] = [];
  for (let o0 = 0; o0 < od; o0 += chunk) {
    const count = Math.min(chunk, od - o0);
    const taps = new Int32Array(count * kd!);
    for (let o = 0; o < count; o++) for (let t = 0; t < kd!; t++) taps[o * kd! + t] = (o0 + o) * strideD + t * dilD;
    // A (1, KH, KW) kernel at depth stride 1 (the spatial half of a (2+1)-D block) reads every plane once, in order.
    const everyPlane = kd === 1 && strideD === 1 && count === paddedDepth;
    const gathered = everyPlane ? padded : ctx.op("gather", [padded, ctx.const(taps, [taps.length], "int32")], { axis: 2 });
    const unfolded = ctx.op("permute", [ctx.op("reshape", [gathered], { shape: [-1, c, count, kd!, ...hw] })], { dims: [0, 2, 1, 3, 4, 5] });
    const y = ctx.op("conv2d", [ctx.op("reshape", [unfolded], { shape: [-1, c * kd!, ...hw] }), weight, ...(bias ? [bias] : [])], planar);
    parts.push(fromDepthMajor(y, count));
  }
  const y = parts.length === 1 ? parts[0]! : ctx.op("concat", parts, { axis: 2 });
  ctx.bind(out, y);
  return y;
}
