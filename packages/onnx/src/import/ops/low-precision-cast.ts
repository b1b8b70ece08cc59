import { DTypeError, isFloat } from "@polychip/hal";
import { MINI_FLOATS, PACKED_INTS, type MiniFloat } from "../../low-precision.ts";
import { DataType } from "../../proto/types.ts";
import { dtypeForOnnx, onnxTypeName } from "../../tensor.ts";
import type { ImportContext } from "../context.ts";
import { bin, castTo, un } from "./helpers.ts";

/**
 * Cast into ONNX's low-precision types, whose values Polychip holds in a wider HAL dtype
 * (low-precision.ts): the result is the held value of exactly what ONNX's Cast produces. Floats
 * go onto the target's grid with HAL float ops (the binade from log2, settled by exact compares
 * with powers of two; then round-half-even at that binade's spacing, which is exact in float32);
 * packed ints round half to even and wrap, as ONNX's int4 notes say.
 */

export interface LowPrecisionCast {
  /** Cast's `saturate` (float8 only; float4 always saturates, e8m0 per its table). */
  readonly saturate: boolean;
  /** Cast's `round_mode` for FLOAT8E8M0: "up" (the default), "nearest" or "down". */
  readonly roundMode: string;
}

/** Whether `to` is held in a wider dtype and needs this file's rounding. */
export function isLowPrecisionType(to: number): boolean {
  return MINI_FLOATS[to] !== undefined || PACKED_INTS[to] !== undefined || to === DataType.FLOAT8E8M0;
}

/** `x` cast to low-precision ONNX type `to`, as the dtype that holds it (into `out` when given). */
export function castToLowPrecision(ctx: ImportContext, x: string, to: number, how: LowPrecisionCast, out?: string): string {
  const packed = PACKED_INTS[to];
  if (packed) return wrapInteger(ctx, x, packed.bits, packed.signed, to, out);
  const source = ctx.dtype(x);
  if (!isFloat(source) && source !== "int8" && source !== "uint8" && source !== "int32" && source !== "bool")
    throw new DTypeError(`${ctx.where()}: cannot cast ${source} to ${onnxTypeName(to)}`);
  const v = castTo(ctx, x, "float32");
  const format = MINI_FLOATS[to];
  // `saturate` is float8's (and e8m0's): bfloat16 overflows to ±Inf as IEEE casts do.
  if (format) return roundOntoGrid(ctx, v, format, how.saturate && to !== DataType.BFLOAT16, out);
  return roundToPowerOfTwo(ctx, v, how, out);
}

function f32(ctx: ImportContext, value: number): string {
  return ctx.scalar(value, "float32");
}

function where(ctx: ImportContext, cond: string, a: string, b: string, out?: string): string {
  return ctx.op("where", [cond, a, b], {}, out);
}

/** |x| with NaN and ±Inf replaced by 0 (their results are chosen separately). */
function finiteMagnitude(ctx: ImportContext, x: string): { magnitude: string; finite: string } {
  const a = un(ctx, "abs", x);
  const finite = bin(ctx, "less", a, f32(ctx, Infinity));
  return { magnitude: where(ctx, finite, a, f32(ctx, 0)), finite };
}

/**
 * The exponent e of the binade [2^e, 2^(e+1)) holding each a ≥ 0, clamped to [lo, hi], as float32,
 * and 2^e. log2 can miss by one next to a power of two; compares with exact powers settle it.
 */
function binade(ctx: ImportContext, a: string, lo: number, hi: number): { exponent: string; power: string } {
  const powers = ctx.const(
    Array.from({ length: hi - lo + 1 }, (_, k) => 2 ** (lo + k)),
    [hi - lo + 1],
    "float32",
  );
  const clamp = (e: string) => bin(ctx, "minimum", bin(ctx, "maximum", e, f32(ctx, lo)), f32(ctx, hi));
  const powerOf = (e: string) => ctx.op("gather", [powers, castTo(ctx, bin(ctx, "sub", e, f32(ctx, lo)), "int32")], { axis: 0 });
  const guess = clamp(un(ctx, "floor", bin(ctx, "mul", un(ctx, "log", a), f32(ctx, Math.LOG2E))));
  const p = powerOf(guess);
  const tooHigh = ctx.op("logicalAnd", [bin(ctx, "greater", p, a), bin(ctx, "greater", guess, f32(ctx, lo))]);
  const tooLow = ctx.op("logicalAnd", [bin(ctx, "lessEqual", bin(ctx, "mul", p, f32(ctx, 2)), a), bin(ctx, "less", guess, f32(ctx, hi))]);
  const exponent = bin(ctx, "add", bin(ctx, "sub", guess, castTo(ctx, tooHigh, "float32")), castTo(ctx, tooLow, "float32"));
  return { exponent, power: powerOf(exponent) };
}

/** Round half to even onto a mini-float's grid, then its overflow rule, NaN and zero sign. */
function roundOntoGrid(ctx: ImportContext, x: string, format: MiniFloat, saturate: boolean, out?: string): string {
  const { magnitude } = finiteMagnitude(ctx, x);
  const { exponent } = binade(ctx, magnitude, format.minExponent, format.maxExponent);
  const rounded = roundAtSpacing(ctx, x, exponent, format);
  const negative = bin(ctx, "less", x, f32(ctx, 0));
  const over = bin(ctx, "greater", un(ctx, "abs", rounded), f32(ctx, format.max));
  const sat = saturate || format.overflow === "max";
  const past = sat
    ? where(ctx, negative, f32(ctx, -format.max), f32(ctx, format.max))
    : format.overflow === "inf"
      ? where(ctx, negative, f32(ctx, -Infinity), f32(ctx, Infinity))
      : f32(ctx, NaN);
  const last = format.overflow !== "max" && !format.unsignedZero;
  let q = where(ctx, over, past, rounded, last ? out : undefined);
  // Float4 has no NaN: ONNX's reference implementation gives −0 (its float4 notes say 6).
  if (format.overflow === "max") q = where(ctx, un(ctx, "isNaN", x), f32(ctx, -0), q, format.unsignedZero ? undefined : out);
  // The "UZ" formats have no −0 (a select, not q + 0, which GPU compilers fold away).
  if (format.unsignedZero) q = where(ctx, bin(ctx, "equal", q, f32(ctx, 0)), f32(ctx, 0), q, out);
  return q;
}

/** Smallest normal float32: spacings below it are subnormal, which GPUs may flush to zero. */
const FLOAT32_MIN_NORMAL = 2 ** -126;
/** Lifts x and a subnormal spacing into the normal range for the division (exact: a power of two). */
const LIFT = 2 ** 64;

/**
 * round_half_even(x / s)·s for the spacing s = 2^(e − mantissa bits) of each x's binade e: exact
 * in float32 (s is a power of two and the quotient has at most mantissa + 1 bits). bfloat16's
 * smallest spacings are float32 subnormals: there x and s are both lifted by 2^64 first.
 */
function roundAtSpacing(ctx: ImportContext, x: string, exponent: string, format: MiniFloat): string {
  const count = format.maxExponent - format.minExponent + 1;
  const spacing = (k: number) => 2 ** (format.minExponent + k - format.mantissaBits);
  const index = castTo(ctx, bin(ctx, "sub", exponent, f32(ctx, format.minExponent)), "int32");
  const table = (values: (k: number) => number) =>
    ctx.op(
      "gather",
      [
        ctx.const(
          Array.from({ length: count }, (_, k) => values(k)),
          [count],
          "float32",
        ),
        index,
      ],
      { axis: 0 },
    );
  if (spacing(0) >= FLOAT32_MIN_NORMAL) {
    const s = table(spacing);
    return bin(ctx, "mul", un(ctx, "round", bin(ctx, "div", x, s)), s);
  }
  const lift = (k: number) => (spacing(k) < FLOAT32_MIN_NORMAL ? LIFT : 1);
  const lifted = table((k) => spacing(k) * lift(k));
  const by = table(lift);
  const steps = un(ctx, "round", bin(ctx, "div", bin(ctx, "mul", x, by), lifted));
  return bin(ctx, "div", bin(ctx, "mul", steps, lifted), by);
}

const E8M0_MIN = 2 ** -127;
const E8M0_MAX = 2 ** 127;

/**
 * FLOAT8E8M0 (a power of two 2^-127 … 2^127) as ONNX's Cast table says (onnxruntime agrees):
 * inside the range round_mode "up" takes the next power unless x is one, "nearest" rounds up from
 * 1.5·2^e, "down" truncates; below 2^-127 (zero and negative values too) and above 2^127 (±Inf
 * too) x saturates to the nearer end, or is NaN without saturation; NaN stays NaN. (ONNX's
 * Python reference departs from the table below 2^-126 and for ±Inf.)
 */
function roundToPowerOfTwo(ctx: ImportContext, x: string, how: LowPrecisionCast, out?: string): string {
  // 2^-127 is a float32 subnormal, which GPUs may flush in a compare: compare x·2^64 with 2^-63.
  const low = bin(ctx, "less", bin(ctx, "mul", x, f32(ctx, LIFT)), f32(ctx, E8M0_MIN * LIFT));
  const high = bin(ctx, "greater", x, f32(ctx, E8M0_MAX));
  const inRange = where(ctx, ctx.op("logicalOr", [low, high]), f32(ctx, 1), x);
  const { power: p } = binade(ctx, inRange, -127, 127);
  const twice = bin(ctx, "mul", p, f32(ctx, 2));
  let r: string;
  if (how.roundMode === "up") r = where(ctx, bin(ctx, "greater", inRange, p), twice, p);
  else if (how.roundMode === "nearest") r = where(ctx, bin(ctx, "greaterEqual", inRange, bin(ctx, "mul", p, f32(ctx, 1.5))), twice, p);
  else if (how.roundMode === "down") r = p;
  else throw new DTypeError(`${ctx.where()}: round_mode '${how.roundMode}' is not one of up, nearest, down`);
  const below = how.saturate ? f32(ctx, E8M0_MIN) : f32(ctx, NaN);
  const above = how.saturate ? f32(ctx, E8M0_MAX) : f32(ctx, NaN);
  const bounded = where(ctx, low, below, where(ctx, high, above, r));
  return where(ctx, un(ctx, "isNaN", x), f32(ctx, NaN), bounded, out);
}

/** Round half to even (floats), then keep the low `bits` bits as a two's complement or unsigned value. */
function wrapInteger(ctx: ImportContext, x: string, bits: number, signed: boolean, to: number, out?: string): string {
  const source = ctx.dtype(x);
  const whole = isFloat(source) ? castTo(ctx, un(ctx, "round", castTo(ctx, x, "float32")), "int32") : castTo(ctx, x, "int32");
  const span = ctx.scalar(2 ** bits, "int32");
  const wrapped = signed
    ? bin(ctx, "sub", bin(ctx, "mod", bin(ctx, "add", whole, ctx.scalar(2 ** (bits - 1), "int32")), span), ctx.scalar(2 ** (bits - 1), "int32"))
    : bin(ctx, "mod", whole, span);
  return ctx.op("cast", [wrapped], { to: dtypeForOnnx(to, ctx.where()) }, out);
}
