import type { ImportContext } from "../context.ts";
import { bin, input, output, requireFloatInput, scalarLike, un, type OpImporter } from "./helpers.ts";

/**
 * Trigonometric and hyperbolic ops the HAL lacks, written with exp/log/sqrt/sin/cos. atan is a
 * range-reduced odd polynomial (|error| < 1e-7 on float32), and asin/acos derive from it.
 */
type Build = (ctx: ImportContext, x: string, out: string | undefined) => string;

const trig =
  (build: Build): OpImporter =>
  (ctx, node) => {
    const x = input(ctx, node, 0);
    requireFloatInput(ctx, x);
    ctx.bind(output(node), build(ctx, x, output(node)));
  };

const c = (ctx: ImportContext, v: number, like: string) => scalarLike(ctx, v, like);

const tan: Build = (ctx, x, out) => bin(ctx, "div", un(ctx, "sin", x), un(ctx, "cos", x), out);

const sinh: Build = (ctx, x, out) => bin(ctx, "mul", bin(ctx, "sub", un(ctx, "exp", x), un(ctx, "exp", un(ctx, "neg", x))), c(ctx, 0.5, x), out);

const cosh: Build = (ctx, x, out) => bin(ctx, "mul", bin(ctx, "add", un(ctx, "exp", x), un(ctx, "exp", un(ctx, "neg", x))), c(ctx, 0.5, x), out);

/** sign(x)·log(|x| + sqrt(x² + 1)): odd by construction, so no cancellation for negative x. */
const asinh: Build = (ctx, x, out) => {
  const a = un(ctx, "abs", x);
  const mag = un(ctx, "log", bin(ctx, "add", a, un(ctx, "sqrt", bin(ctx, "add", bin(ctx, "mul", a, a), c(ctx, 1, x)))));
  return bin(ctx, "mul", un(ctx, "sign", x), mag, out);
};

const acosh: Build = (ctx, x, out) => un(ctx, "log", bin(ctx, "add", x, un(ctx, "sqrt", bin(ctx, "sub", bin(ctx, "mul", x, x), c(ctx, 1, x)))), out);

const atanh: Build = (ctx, x, out) =>
  bin(ctx, "mul", c(ctx, 0.5, x), un(ctx, "log", bin(ctx, "div", bin(ctx, "add", c(ctx, 1, x), x), bin(ctx, "sub", c(ctx, 1, x), x))), out);

/**
 * atan(x): for |x| > 1 use π/2 − atan(1/|x|); then halve the angle once,
 * atan(t) = 2·atan(t / (1 + sqrt(1 + t²))), leaving |t| ≤ tan(π/8) where the Taylor series to
 * t¹⁵ is accurate to ~2e-8.
 */
export function atanOf(ctx: ImportContext, x: string, out?: string): string {
  const a = un(ctx, "abs", x);
  const big = bin(ctx, "greater", a, c(ctx, 1, x));
  const r = ctx.op("where", [big, un(ctx, "reciprocal", a), a]);
  const t = bin(ctx, "div", r, bin(ctx, "add", c(ctx, 1, x), un(ctx, "sqrt", bin(ctx, "add", c(ctx, 1, x), bin(ctx, "mul", r, r)))));
  const t2 = bin(ctx, "mul", t, t);
  // Horner form of t·(1 − t²/3 + t⁴/5 − ... − t¹⁴/15).
  let poly = c(ctx, -1 / 15, x);
  for (const k of [13, 11, 9, 7, 5, 3, 1]) {
    const sign = ((k - 1) / 2) % 2 === 0 ? 1 : -1;
    poly = bin(ctx, "add", bin(ctx, "mul", poly, t2), c(ctx, sign / k, x));
  }
  const reduced = bin(ctx, "mul", c(ctx, 2, x), bin(ctx, "mul", poly, t));
  const mag = ctx.op("where", [big, bin(ctx, "sub", c(ctx, Math.PI / 2, x), reduced), reduced]);
  return bin(ctx, "mul", un(ctx, "sign", x), mag, out);
}

/** asin(x) = atan(x / sqrt(1 − x²)) (±1 → ±∞ → ±π/2). */
function asinOf(ctx: ImportContext, x: string, out?: string): string {
  return atanOf(ctx, bin(ctx, "div", x, un(ctx, "sqrt", bin(ctx, "sub", c(ctx, 1, x), bin(ctx, "mul", x, x)))), out);
}

const acos: Build = (ctx, x, out) => bin(ctx, "sub", c(ctx, Math.PI / 2, x), asinOf(ctx, x), out);

export const TRIGONOMETRY_IMPORTERS: Record<string, OpImporter> = {
  Tan: trig(tan),
  Sinh: trig(sinh),
  Cosh: trig(cosh),
  Asinh: trig(asinh),
  Acosh: trig(acosh),
  Atanh: trig(atanh),
  Atan: trig(atanOf),
  Asin: trig(asinOf),
  Acos: trig(acos),
};
