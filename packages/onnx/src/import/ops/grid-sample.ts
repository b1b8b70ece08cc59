import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { castTo, input, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * GridSample (opsets 16, 20, 22) over any number of spatial dims, as ONNX's reference defines it.
 * Per spatial dim the grid's normalised coordinate becomes a pixel position (align_corners),
 * rounded half to even for nearest, and a position outside the border is reflected (reflection)
 * before the taps are taken: 1 (nearest), 2 (linear) or 4 (cubic, Keys with a = -0.75) per dim,
 * each tap's index then clamped (border), reflected, or weighted 0 when outside (zeros). Each combination of taps is one gatherElements over the flattened spatial dims,
 * weighted and summed: k^r gathers for r spatial dims.
 */

interface Tap {
  /** int32 index into this spatial dim, [N, P]. */
  readonly index: string;
  /** float32 weight, [N, P] (zero for a tap outside the image with zeros padding); undefined is 1. */
  readonly weight: string | undefined;
}

type Padding = "zeros" | "border" | "reflection";

const CUBIC_A = -0.75;

class Elementwise {
  constructor(private readonly ctx: ImportContext) {}
  c = (v: number) => this.ctx.scalar(v, "float32");
  add = (a: string, b: string) => this.ctx.op("add", [a, b]);
  sub = (a: string, b: string) => this.ctx.op("sub", [a, b]);
  mul = (a: string, b: string) => this.ctx.op("mul", [a, b]);
  div = (a: string, b: string) => this.ctx.op("div", [a, b]);
  floor = (a: string) => this.ctx.op("floor", [a]);
  clamp = (a: string, lo: number, hi: number) => this.ctx.op("minimum", [this.ctx.op("maximum", [a, this.c(lo)]), this.c(hi)]);
  outside = (a: string, lo: number, hi: number) => this.ctx.op("logicalOr", [this.ctx.op("less", [a, this.c(lo)]), this.ctx.op("greater", [a, this.c(hi)])]);
  where = (cond: string, a: string, b: string) => this.ctx.op("where", [cond, a, b]);

  /** ONNX's reflection of `x` into [lo, hi]: by the near border, alternating, as often as needed. */
  reflect(x: string, lo: number, hi: number): string {
    const range = hi - lo;
    if (range <= 0) return this.clamp(x, lo, hi);
    const fold = (dx: string, near: number, far: number) => {
      const turns = this.floor(this.div(dx, this.c(range)));
      const rest = this.sub(dx, this.mul(turns, this.c(range)));
      const even = this.ctx.op("equal", [this.ctx.op("fmod", [turns, this.c(2)]), this.c(0)]);
      const sign = near < far ? 1 : -1;
      return this.where(even, this.add(this.c(near), this.mul(rest, this.c(sign))), this.sub(this.c(far), this.mul(rest, this.c(sign))));
    };
    const below = fold(this.sub(this.c(lo), x), lo, hi);
    const above = fold(this.sub(x, this.c(hi)), hi, lo);
    return this.where(this.ctx.op("less", [x, this.c(lo)]), below, this.where(this.ctx.op("greater", [x, this.c(hi)]), above, x));
  }
}

/** The taps along one spatial dim of size `size` for positions `x` ([N, P], float32 pixels). */
function tapsAlong(e: Elementwise, ctx: ImportContext, x: string, size: number, mode: string, padding: Padding, alignCorners: boolean): Tap[] {
  const [lo, hi] = alignCorners ? [0, size - 1] : [-0.5, size - 0.5];
  let pos = mode === "nearest" ? ctx.op("round", [x]) : x;
  // Border padding clamps each tap's index only: for nearest and linear that equals clamping the
  // position first (ONNX's reference), and for cubic it is what PyTorch and onnxruntime compute.
  if (padding === "reflection") pos = e.reflect(pos, lo, hi);
  const tap = (at: string, weight: string | undefined): Tap => {
    let w = weight;
    let i = at;
    if (padding === "zeros") {
      const inside = ctx.op("cast", [ctx.op("logicalNot", [e.outside(at, 0, size - 1)])], { to: "float32" });
      w = w ? e.mul(w, inside) : inside;
    } else if (padding === "reflection") {
      i = e.reflect(at, lo, hi);
    }
    return { index: ctx.op("cast", [e.clamp(i, 0, size - 1)], { to: "int32" }), weight: w };
  };
  if (mode === "nearest") return [tap(pos, undefined)];
  const x0 = e.floor(pos);
  const t = e.sub(pos, x0);
  const at = (d: number) => (d === 0 ? x0 : e.add(x0, e.c(d)));
  if (mode === "linear") return [tap(at(0), e.sub(e.c(1), t)), tap(at(1), t)];
  // Keys' cubic convolution: near taps at distance d < 1, far ones at 1 <= d < 2.
  const a = CUBIC_A;
  const near = (d: string) => e.add(e.mul(e.mul(e.sub(e.mul(e.c(a + 2), d), e.c(a + 3)), d), d), e.c(1));
  const far = (d: string) => e.sub(e.mul(e.add(e.mul(e.sub(e.mul(e.c(a), d), e.c(5 * a)), d), e.c(8 * a)), d), e.c(4 * a));
  const oneMinus = e.sub(e.c(1), t);
  return [tap(at(-1), far(e.add(t, e.c(1)))), tap(at(0), near(t)), tap(at(1), near(oneMinus)), tap(at(2), far(e.add(oneMinus, e.c(1))))];
}

const MODES: Readonly<Record<string, string>> = { bilinear: "linear", linear: "linear", nearest: "nearest", bicubic: "cubic", cubic: "cubic" };

const gridSample: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const grid = input(ctx, node, 1);
  requireFloatInput(ctx, x);
  requireFloatInput(ctx, grid);
  const xs = ctx.shape(x, "GridSample");
  const gs = ctx.shape(grid, "GridSample");
  const r = xs.length - 2;
  if (r < 1 || gs.length !== xs.length || gs[0] !== xs[0] || gs[gs.length - 1] !== r)
    throw new ShapeError(`${ctx.where()}: grid must be [N, ...out, ${r}] for X [${xs.join(", ")}], got [${gs.join(", ")}]`);
  if (node.opset < 20 && r !== 2) throw new ShapeError(`${ctx.where()}: GridSample-${node.opset} takes 4-D input, got [${xs.join(", ")}]`);
  const modeName = node.attrs.string("mode", node.opset < 20 ? "bilinear" : "linear")!;
  const mode = MODES[modeName];
  const validModes = node.opset < 20 ? ["bilinear", "nearest", "bicubic"] : ["linear", "nearest", "cubic"];
  if (!mode || !validModes.includes(modeName)) throw new UnsupportedOpError(`${ctx.where()}: mode '${modeName}' (expected ${validModes.join(", ")})`);
  const padding = node.attrs.string("padding_mode", "zeros") as Padding;
  if (!["zeros", "border", "reflection"].includes(padding))
    throw new UnsupportedOpError(`${ctx.where()}: padding_mode '${padding}' (expected zeros, border, reflection)`);
  const alignCorners = node.attrs.int("align_corners", 0) === 1;
  if (mode === "cubic" && r > 3)
    throw new UnsupportedOpError(`${ctx.where()}: cubic sampling over ${r} spatial dims (${4 ** r} taps) is not supported (at most 3)`);

  const [n, c] = xs as [number, number];
  const spatial = xs.slice(2);
  const outSpatial = gs.slice(1, -1);
  const points = outSpatial.reduce((a, b) => a * b, 1);
  const pixels = spatial.reduce((a, b) => a * b, 1);
  const e = new Elementwise(ctx);
  const flatGrid = ctx.op("reshape", [castTo(ctx, grid, "float32")], { shape: [n, points, r] });
  const taps = spatial.map((size, i) => {
    // Grid components run x, y, z: the last spatial dim first.
    const g = ctx.op("reshape", [ctx.op("slice", [flatGrid], { starts: [r - 1 - i], ends: [r - i], axes: [2] })], { shape: [n, points] });
    const pos = alignCorners ? e.mul(e.add(g, e.c(1)), e.c((size - 1) / 2)) : e.div(e.sub(e.mul(e.add(g, e.c(1)), e.c(size)), e.c(1)), e.c(2));
    return tapsAlong(e, ctx, pos, size, mode, padding, alignCorners);
  });
  const strides = spatial.map((_, i) => spatial.slice(i + 1).reduce((a, b) => a * b, 1));
  const data = ctx.op("reshape", [castTo(ctx, x, "float32")], { shape: [n, c, pixels] });
  let sum: string | undefined;
  const combine = (dim: number, index: string | undefined, weight: string | undefined) => {
    if (dim === r) {
      const idx = ctx.op("expand", [ctx.op("reshape", [index!], { shape: [n, 1, points] })], { shape: [n, c, points] });
      const picked = ctx.op("gatherElements", [data, idx], { axis: 2 });
      const term = weight ? e.mul(picked, ctx.op("reshape", [weight], { shape: [n, 1, points] })) : picked;
      sum = sum ? e.add(sum, term) : term;
      return;
    }
    for (const tap of taps[dim]!) {
      const scaled = strides[dim] === 1 ? tap.index : ctx.op("mul", [tap.index, ctx.scalar(strides[dim]!, "int32")]);
      combine(dim + 1, index ? ctx.op("add", [index, scaled]) : scaled, weight && tap.weight ? e.mul(weight, tap.weight) : (weight ?? tap.weight));
    }
  };
  combine(0, undefined, undefined);
  const y = ctx.op("reshape", [sum!], { shape: [n, c, ...outSpatial] });
  ctx.bind(output(node), castTo(ctx, y, ctx.dtype(x)));
};

export const GRID_SAMPLE_IMPORTERS: Readonly<Record<string, OpImporter>> = { GridSample: gridSample };
