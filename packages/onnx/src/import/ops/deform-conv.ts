import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { castTo, input, optionalInput, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * DeformConv (opsets 19, 22), 2-D, as ONNX's reference and torchvision's deform_conv2d define it:
 * each kernel tap of each output position samples X at its usual place plus a learned (dy, dx)
 * offset, bilinearly, a corner outside the image counting as zero; the mask (default ones)
 * scales each tap, then the taps meet the weights as in a grouped convolution.
 *
 * Lowered onto gathers and one matmul (im2col with moving taps): the offsets give each tap's
 * position, each of the 4 bilinear corners is one gatherElements over the flattened image with its
 * weight (zero outside, times the mask), and the weighted sum [N, C·kH·kW, oH·oW] is multiplied by
 * the weights per group. An offset group shares its offsets and mask across C/offset_group
 * channels.
 */
const deformConv: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const w = input(ctx, node, 1);
  const offset = input(ctx, node, 2);
  const bias = optionalInput(node, 3);
  const mask = optionalInput(node, 4);
  for (const v of [x, w, offset, bias, mask]) if (v) requireFloatInput(ctx, v);
  const xs = ctx.shape(x, "DeformConv");
  if (xs.length !== 4) throw new UnsupportedOpError(`${ctx.where()}: ${xs.length - 2}-D deformable convolution is not supported (2-D is)`);
  const ws = ctx.shape(w, "DeformConv's weight");
  const [n, c, h, wd] = xs as [number, number, number, number];
  const group = node.attrs.int("group", 1);
  const offsetGroups = node.attrs.int("offset_group", 1);
  const kernel = node.attrs.ints("kernel_shape", ws.slice(2));
  const strides = node.attrs.ints("strides", [1, 1]);
  const dilations = node.attrs.ints("dilations", [1, 1]);
  const pads = node.attrs.ints("pads", [0, 0, 0, 0]);
  if (ws.length !== 4 || group < 1 || c !== ws[1]! * group || ws[0]! % group !== 0)
    throw new ShapeError(`${ctx.where()}: weight [${ws.join(", ")}] does not fit X [${xs.join(", ")}] with group ${group}`);
  if (kernel.length !== 2 || kernel.some((k, i) => k !== ws[2 + i]))
    throw new ShapeError(`${ctx.where()}: kernel_shape [${kernel.join(", ")}] differs from the weight's [${ws.slice(2).join(", ")}]`);
  if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4 || [...strides, ...dilations].some((v) => v < 1) || pads.some((p) => p < 0))
    throw new ShapeError(
      `${ctx.where()}: strides [${strides}], dilations [${dilations}] and pads [${pads}] must be 2, 2 and 4 values (positive, pads not negative)`,
    );
  if (offsetGroups < 1 || c % offsetGroups !== 0) throw new ShapeError(`${ctx.where()}: offset_group ${offsetGroups} does not divide the ${c} input channels`);
  const [kh, kw] = kernel as [number, number];
  const taps = kh * kw;
  const outSize = (i: number) => Math.floor((xs[2 + i]! + pads[i]! + pads[i + 2]! - (kernel[i]! - 1) * dilations[i]! - 1) / strides[i]!) + 1;
  const [oh, ow] = [outSize(0), outSize(1)];
  if (oh < 1 || ow < 1) throw new ShapeError(`${ctx.where()}: the kernel does not fit X [${xs.join(", ")}] with pads [${pads}]`);
  const expectShape = (v: string, what: string, channels: number) => {
    const s = ctx.shape(v, `DeformConv's ${what}`);
    if (s.length !== 4 || s[0] !== n || s[1] !== channels || s[2] !== oh || s[3] !== ow)
      throw new ShapeError(`${ctx.where()}: ${what} must be [${[n, channels, oh, ow].join(", ")}], got [${s.join(", ")}]`);
  };
  expectShape(offset, "offset", offsetGroups * taps * 2);
  if (mask) expectShape(mask, "mask", offsetGroups * taps);
  if (bias && (ctx.rank(bias) !== 1 || ctx.shape(bias, "DeformConv's bias")[0] !== ws[0]))
    throw new ShapeError(`${ctx.where()}: B must be [${ws[0]}], got [${ctx.shape(bias, "DeformConv's bias").join(", ")}]`);

  const points = oh * ow;
  const g = offsetGroups;
  const f32 = (v: string) => castTo(ctx, v, "float32");
  const c32 = (v: number) => ctx.scalar(v, "float32");
  const op = (name: string, ...inputs: string[]) => ctx.op(name, inputs);
  // Offsets [N, G, kH·kW, 2, P]: (dy, dx) per tap and output position.
  const offsets = ctx.op("reshape", [f32(offset)], { shape: [n, g, taps, 2, points] });
  const along = (axis: 0 | 1) => {
    const shift = ctx.op("reshape", [ctx.op("slice", [offsets], { starts: [axis], ends: [axis + 1], axes: [3] })], { shape: [n, g, taps, points] });
    const base = new Float32Array(taps * points);
    for (let t = 0; t < taps; t++) {
      const tap = axis === 0 ? Math.floor(t / kw) : t % kw;
      for (let p = 0; p < points; p++) {
        const out = axis === 0 ? Math.floor(p / ow) : p % ow;
        base[t * points + p] = out * strides[axis]! - pads[axis]! + tap * dilations[axis]!;
      }
    }
    return op("add", shift, ctx.const(base, [1, 1, taps, points], "float32"));
  };
  const corners = (pos: string, size: number) => {
    const low = op("floor", pos);
    const frac = op("sub", pos, low);
    return [0, 1].map((d) => {
      const at = d === 0 ? low : op("add", low, c32(1));
      const inside = op("logicalAnd", op("greaterEqual", at, c32(0)), op("lessEqual", at, c32(size - 1)));
      return {
        index: ctx.op("cast", [op("minimum", op("maximum", at, c32(0)), c32(size - 1))], { to: "int32" }),
        weight: op("mul", d === 0 ? op("sub", c32(1), frac) : frac, ctx.op("cast", [inside], { to: "float32" })),
      };
    });
  };
  const rows = corners(along(0), h);
  const cols = corners(along(1), wd);
  const scale = mask ? ctx.op("reshape", [f32(mask)], { shape: [n, g, taps, points] }) : undefined;
  const perGroup = c / g;
  const image = ctx.op("reshape", [f32(x)], { shape: [n, g, perGroup, h * wd] });
  let sampled: string | undefined;
  for (const row of rows) {
    for (const col of cols) {
      const flat = op("add", op("mul", row.index, ctx.scalar(wd, "int32")), col.index);
      const index = ctx.op("expand", [ctx.op("reshape", [flat], { shape: [n, g, 1, taps * points] })], { shape: [n, g, perGroup, taps * points] });
      const weight = scale ? op("mul", op("mul", row.weight, col.weight), scale) : op("mul", row.weight, col.weight);
      const term = op("mul", ctx.op("gatherElements", [image, index], { axis: 3 }), ctx.op("reshape", [weight], { shape: [n, g, 1, taps * points] }));
      sampled = sampled ? op("add", sampled, term) : term;
    }
  }
  // [N, C·kH·kW, P] by convolution group, channels in X's order: the columns of an im2col.
  const inPerGroup = c / group;
  const outPerGroup = ws[0]! / group;
  const columns = ctx.op("reshape", [sampled!], { shape: [n, group, inPerGroup * taps, points] });
  const weights = ctx.op("expand", [ctx.op("reshape", [f32(w)], { shape: [1, group, outPerGroup, inPerGroup * taps] })], {
    shape: [n, group, outPerGroup, inPerGroup * taps],
  });
  let y = ctx.op("reshape", [op("matmul", weights, columns)], { shape: [n, ws[0]!, oh, ow] });
  if (bias) y = op("add", y, ctx.op("reshape", [f32(bias)], { shape: [1, ws[0]!, 1, 1] }));
  ctx.bind(output(node), castTo(ctx, y, ctx.dtype(x)));
};

export const DEFORM_CONV_IMPORTERS: Readonly<Record<string, OpImporter>> = { DeformConv: deformConv };
