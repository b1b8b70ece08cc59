import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { bin, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { conv3d } from "./conv3d.ts";
import { as2d, window2dAttrs, windowAttrs } from "./pooling-geometry.ts";

/** 1-D convolutions run as 2-D ones over [N, C, 1, L], 3-D ones as 2-D ones over unfolded depth (conv3d.ts). */
function spatialRank(ctx: ImportContext, x: string, what: string): 1 | 2 | 3 {
  const r = ctx.rank(x) - 2;
  if (r === 1 || r === 2 || r === 3) return r;
  throw new UnsupportedOpError(`${ctx.where()}: ${r}-D ${what} is not supported (1-D to 3-D are)`);
}

export const conv: OpImporter = (ctx, node) => {
  let x = input(ctx, node, 0);
  let w = input(ctx, node, 1);
  const bias = optionalInput(node, 2);
  const r = spatialRank(ctx, x, "convolution");
  const wShape = ctx.shape(w, "Conv's weight");
  if (wShape.length !== r + 2) throw new ShapeError(`${ctx.where()}: weight [${wShape}] must have rank ${r + 2}`);
  const kernel = node.attrs.ints("kernel_shape", wShape.slice(2));
  if (r === 3) {
    conv3d(ctx, x, w, bias, windowAttrs(ctx, node, ctx.dims(x).slice(2), kernel), node.attrs.int("group", 1), output(node));
    return;
  }
  const win = as2d(windowAttrs(ctx, node, ctx.dims(x).slice(2), kernel));
  if (r === 1) {
    x = ctx.op("unsqueeze", [x], { axes: [2] });
    w = ctx.op("unsqueeze", [w], { axes: [2] });
  }
  const attrs = { ...window2dAttrs(win, 0, 1), groups: node.attrs.int("group", 1) };
  delete (attrs as { kernel?: number[] }).kernel;
  const inputs = bias ? [x, w, bias] : [x, w];
  if (r === 2) ctx.op("conv2d", inputs, attrs, output(node));
  else ctx.op("squeeze", [ctx.op("conv2d", inputs, attrs)], { axes: [2] }, output(node));
};

/**
 * ConvTranspose is the gradient of a convolution w.r.t. its input: conv2dGradInput with the
 * weight [C_in, C_out/group, kH, kW] read as the forward conv's [OC, C/group, kH, kW].
 */
const convTranspose: OpImporter = (ctx, node) => {
  let x = input(ctx, node, 0);
  let w = input(ctx, node, 1);
  const bias = optionalInput(node, 2);
  const r = ctx.rank(x) - 2;
  if (r < 1 || r > 3) throw new UnsupportedOpError(`${ctx.where()}: ${r}-D transposed convolution is not supported (1-D to 3-D are)`);
  const xShape = ctx.shape(x, "ConvTranspose");
  const wShape = ctx.shape(w, "ConvTranspose's weight");
  const group = node.attrs.int("group", 1);
  if (wShape.length !== r + 2 || wShape[0] !== xShape[1]) throw new ShapeError(`${ctx.where()}: weight [${wShape}] does not fit input [${xShape}]`);
  const kernel = node.attrs.ints("kernel_shape", wShape.slice(2));
  const strides = node.attrs.ints("strides", new Array<number>(r).fill(1));
  const dilations = node.attrs.ints("dilations", new Array<number>(r).fill(1));
  const outputPadding = node.attrs.ints("output_padding", new Array<number>(r).fill(0));
  const spatialIn = xShape.slice(2);
  const span = (i: number) => (kernel[i]! - 1) * dilations[i]! + 1;
  const outputShape = node.attrs.ints("output_shape");
  const autoPad = node.attrs.string("auto_pad", "NOTSET");
  let pads = node.attrs.ints("pads", new Array<number>(2 * r).fill(0));
  let spatialOut: number[];
  if (outputShape || autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    // The output size is given (or is input·stride): the total padding follows from it.
    spatialOut = outputShape ? outputShape.slice(-r) : spatialIn.map((d, i) => d * strides[i]!);
    pads = new Array<number>(2 * r).fill(0);
    spatialOut.forEach((o, i) => {
      const total = strides[i]! * (spatialIn[i]! - 1) + outputPadding[i]! + span(i) - o;
      const begin = autoPad === "SAME_UPPER" ? Math.floor(total / 2) : total - Math.floor(total / 2);
      pads[i] = Math.max(0, begin);
      pads[i + r] = Math.max(0, total - begin);
    });
  } else {
    if (autoPad === "VALID") pads = new Array<number>(2 * r).fill(0);
    spatialOut = spatialIn.map((d, i) => strides[i]! * (d - 1) + outputPadding[i]! + span(i) - pads[i]! - pads[i + r]!);
  }
  if (spatialOut.some((d) => d <= 0)) throw new ShapeError(`${ctx.where()}: output spatial size [${spatialOut}] is not positive`);
  if (
    [...strides, ...dilations, ...outputPadding].some((v) => !Number.isInteger(v) || v < 0 || v > 1 << 16) ||
    spatialOut.reduce((a, d) => a * d, 1) > 1 << 28
  ) {
    throw new ShapeError(`${ctx.where()}: strides [${strides}], dilations [${dilations}] or output size [${spatialOut}] out of range`);
  }
  if (r === 3) {
    const y = convTransposeByScatter(ctx, x, w, { group, strides, dilations, pads, spatialOut });
    if (bias) bin(ctx, "add", y, ctx.op("reshape", [bias], { shape: [wShape[1]! * group, 1, 1, 1] }), output(node));
    else ctx.bind(output(node), y);
    return;
  }
  const lift = <T>(v: T[], pad: T) => (r === 1 ? [pad, ...v] : v);
  const attrs = {
    strides: lift(strides, 1),
    dilations: lift(dilations, 1),
    pads: r === 1 ? [0, pads[0]!, 0, pads[1]!] : pads,
    groups: group,
    inputShape: [xShape[0]!, wShape[1]! * group, ...lift(spatialOut, 1)],
  };
  if (r === 1) {
    x = ctx.op("unsqueeze", [x], { axes: [2] });
    w = ctx.op("unsqueeze", [w], { axes: [2] });
  }
  let y = ctx.op("conv2dGradInput", [x, w], attrs);
  if (r === 1) y = ctx.op("squeeze", [y], { axes: [2] });
  if (bias) y = bin(ctx, "add", y, ctx.op("reshape", [bias], { shape: [wShape[1]! * group, ...new Array<number>(r).fill(1)] }), output(node));
  ctx.bind(output(node), y);
};

/** Largest scatter table the N-D transposed convolution builds on the host. */
const MAX_TAPS = 1 << 24;

/**
 * Transposed convolution of any spatial rank (used for 3-D): every input position spreads
 * W-weighted copies onto the output positions its taps reach. columns = Wᵀ·x per group (one
 * matmul), then a scatterAdd of each column entry onto its output position through a host-built
 * table; taps that land in the padding go to a spare slot that is dropped.
 */
function convTransposeByScatter(
  ctx: ImportContext,
  x: string,
  w: string,
  g: { group: number; strides: number[]; dilations: number[]; pads: number[]; spatialOut: number[] },
): string {
  const [n, c, ...spatialIn] = ctx.shape(x, "ConvTranspose");
  const [, ocg, ...kernel] = ctx.shape(w, "ConvTranspose's weight");
  const r = spatialIn.length;
  const groups = g.group;
  if (c! % groups !== 0) throw new ShapeError(`${ctx.where()}: ${c} input channels do not split into ${groups} groups`);
  const cg = c! / groups;
  const p = spatialIn.reduce((a, d) => a * d, 1);
  const k = kernel.reduce((a, d) => a * d, 1);
  const q = g.spatialOut.reduce((a, d) => a * d, 1);
  if (k * p > MAX_TAPS) throw new ShapeError(`${ctx.where()}: ${k * p} taps are more than Polychip builds a table for (${MAX_TAPS})`);
  // table[t·P + i] = the output position tap t of input position i writes to (q = padding).
  const table = new Int32Array(k * p);
  const tap = new Array<number>(r).fill(0);
  for (let t = 0; t < k; t++) {
    let rest = t;
    for (let d = r - 1; d >= 0; d--) {
      tap[d] = rest % kernel[d]!;
      rest = Math.floor(rest / kernel[d]!);
    }
    for (let i = 0; i < p; i++) {
      let inRest = i;
      let pos = 0;
      let inside = true;
      let stride = 1;
      for (let d = r - 1; d >= 0; d--) {
        const id = inRest % spatialIn[d]!;
        inRest = Math.floor(inRest / spatialIn[d]!);
        const od = id * g.strides[d]! - g.pads[d]! + tap[d]! * g.dilations[d]!;
        if (od < 0 || od >= g.spatialOut[d]!) inside = false;
        pos += od * stride;
        stride *= g.spatialOut[d]!;
      }
      table[t * p + i] = inside ? pos : q;
    }
  }
  const weights = ctx.op("expand", [ctx.op("reshape", [w], { shape: [1, groups, cg, ocg! * k] })], { shape: [n!, groups, cg, ocg! * k] });
  const columns = ctx.op("matmul", [weights, ctx.op("reshape", [x], { shape: [n!, groups, cg, p] })], { transposeA: true });
  const rows = n! * groups * ocg!;
  const zeros = ctx.op("fill", [], { shape: [rows, q + 1], dtype: ctx.dtype(x), value: 0 });
  const index = ctx.op("expand", [ctx.const(table, [1, k * p], "int32")], { shape: [rows, k * p] });
  const summed = ctx.op("scatterAdd", [zeros, index, ctx.op("reshape", [columns], { shape: [rows, k * p] })], { axis: 1 });
  const kept = ctx.op("slice", [summed], { starts: [0], ends: [q], axes: [1] });
  return ctx.op("reshape", [kept], { shape: [n!, groups * ocg!, ...g.spatialOut] });
}

export const CONV_IMPORTERS: Record<string, OpImporter> = {
  Conv: conv,
  ConvTranspose: convTranspose,
};
