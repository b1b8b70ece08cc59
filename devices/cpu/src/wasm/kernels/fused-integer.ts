/**
 * The integer side of the fused WASM loop (wasm/kernels/fused.ts): int32, uint8 and int8 values
 * and the casts between them and float32 / bool, matching the generated JavaScript
 * (kernels/fused-codegen.ts) bit for bit; and the loop's loads and stores for every dtype it takes
 * (float16 through fused-half.ts).
 *
 * An integer value lives in an i32x4, one element per lane, always already wrapped to its dtype
 * (uint8 in 0..255, int8 in -128..127), as the JavaScript stores each step into its typed array:
 * add, sub, mul and neg wrap (Int32Array arithmetic, then & 255 or the 8-bit sign extension);
 * casts to int8/uint8 saturate (NaN is 0); a cast of float32 to int32 is JavaScript's ToInt32
 * (truncate, then modulo 2^32: NaN and ±Inf are 0).
 */
import type { DType, FusedStep } from "@polychip/hal";
import type { Code } from "../encoder.ts";
import { f32x4, get, i16x8, i32, i32x4, set, v128 } from "../instructions.ts";
import { loadFourHalves, loadOneHalf, storeFourHalves, storeOneHalf } from "./fused-half.ts";

/** Code for one step from its arguments' code (local reads, so they may be repeated); `temp` is a scratch v128 local. */
export type VectorForm = (args: Code[], temp: number) => Code;

/** The dtypes the fused WASM loop stores and loads (float16 through fused-half.ts). */
export const LOOP_DTYPES: ReadonlySet<DType> = new Set<DType>(["float32", "float16", "bool", "int32", "uint8", "int8"]);

const INTEGERS: ReadonlySet<DType> = new Set<DType>(["int32", "uint8", "int8"]);
export const isLoopInteger = (dtype: DType): boolean => INTEGERS.has(dtype);

/** Bytes per element in memory: 4 for float32/int32, 2 for float16, 1 for bool/uint8/int8. */
export const elementBytes = (dtype: DType): number => (dtype === "float32" || dtype === "int32" ? 4 : dtype === "float16" ? 2 : 1);

const splat = (v: number): Code => i32x4.splat(i32.const(v));
const ZERO = (): Code => splat(0);

/** The value a const step of an integer dtype holds: the JavaScript store of the literal (ToInt32, then the 8-bit wrap). */
export function integerConstValue(value: number, to: DType): number {
  if (to === "uint8") return value & 255;
  if (to === "int8") return (value << 24) >> 24;
  return value | 0;
}

/** Four elements at `addr` as lanes: float32 as f32x4, bool as a lane mask, integers sign- or zero-extended. */
export function loadFour(dtype: DType, addr: Code): Code {
  switch (dtype) {
    case "float16":
      return loadFourHalves(addr);
    case "float32":
    case "int32":
      return v128.load(addr);
    case "int8":
      return i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32Zero(addr)));
    case "uint8":
      return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32Zero(addr)));
    case "bool":
      return i32x4.ne(loadFour("uint8", addr), ZERO());
  }
  throw new Error(`cpu: the fused WASM loop does not load ${dtype}`);
}

/** One element at `addr` in every lane, as loadFour would have it. */
export function loadOne(dtype: DType, addr: Code): Code {
  switch (dtype) {
    case "float16":
      return loadOneHalf(addr);
    case "float32":
    case "int32":
      return v128.load32Splat(addr);
    case "int8":
      return i32x4.splat(i32.load8s(addr));
    case "uint8":
      return i32x4.splat(i32.load8u(addr));
    case "bool":
      return i32x4.ne(i32x4.splat(i32.load8u(addr)), ZERO());
  }
  throw new Error(`cpu: the fused WASM loop does not load ${dtype}`);
}

/** The low byte of each lane, in lanes 0-3's bytes 0-3 (the 8-bit values and bool 0/1 as stored). */
const lowBytes = (v: Code): Code => v128.shuffle(v, v, [0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12]);
/** A bool lane mask (all ones or zero) as 0/1 lanes. */
const maskToOnes = (v: Code): Code => v128.and(v, splat(1));

/** Stores the four lanes of `v` at `addr`; `temp` is the first of three scratch v128 locals. */
export function storeFour(dtype: DType, addr: Code, v: Code, temp: number): Code {
  if (dtype === "float16") return storeFourHalves(addr, v, temp);
  if (elementBytes(dtype) === 4) return v128.store(addr, v);
  return v128.store32Lane(addr, lowBytes(dtype === "bool" ? maskToOnes(v) : v), 0);
}

/** Stores lane 0 of `v` at `addr`; `temp` as for storeFour. */
export function storeOne(dtype: DType, addr: Code, v: Code, temp: number): Code {
  if (dtype === "float16") return storeOneHalf(addr, v, temp);
  if (elementBytes(dtype) === 4) return v128.store32Lane(addr, v, 0);
  return v128.store8Lane(addr, dtype === "bool" ? maskToOnes(v) : v, 0);
}

/** An i32x4 result of int arithmetic wrapped to `dtype` (int32 arithmetic already wraps). */
function wrap(dtype: DType, e: Code): Code {
  if (dtype === "uint8") return v128.and(e, splat(255));
  if (dtype === "int8") return i32x4.shr_s(i32x4.shl(e, i32.const(24)), i32.const(24));
  return e;
}

/** Lanes clamped to [lo, hi]. */
const clamp = (e: Code, lo: number, hi: number): Code => i32x4.min_s(i32x4.max_s(e, splat(lo)), splat(hi));

const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;

/**
 * float32 to int32 as JavaScript's `x | 0`. x - trunc(x / 2^32)·2^32 is exact in float32 (what is
 * left are x's own low mantissa bits), which leaves x modulo 2^32 with x's sign; one more 2^32 moves
 * it into [-2^31, 2^31), where the saturating truncation is exact. NaN and ±Inf end as NaN, then 0.
 */
function float32ToInt32(x: Code, temp: number): Code {
  const k = f32x4.trunc(f32x4.mul(x, f32x4.const(1 / TWO_32)));
  const r = get(temp);
  const down = v128.and(f32x4.ge(r, f32x4.const(TWO_31)), f32x4.const(TWO_32));
  const up = v128.and(f32x4.lt(r, f32x4.const(-TWO_31)), f32x4.const(TWO_32));
  return [set(temp, f32x4.sub(x, f32x4.mul(k, f32x4.const(TWO_32)))), i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.sub(r, down), up))];
}

/** cast `from` → `to` where either side is an integer (the float32/bool pairs are fused.ts's). */
function integerCast(from: DType, to: DType): VectorForm | undefined {
  if (from === to) return ([a]) => a!;
  const saturate = (a: Code): Code => (to === "int8" ? clamp(a, -128, 127) : to === "uint8" ? clamp(a, 0, 255) : a);
  if (to === "bool") return from === "float32" ? ([a]) => f32x4.ne(a!, f32x4.const(0)) : ([a]) => i32x4.ne(a!, ZERO());
  if (from === "bool") return to === "float32" ? undefined : ([a]) => maskToOnes(a!);
  if (to === "float32") return ([a]) => f32x4.convert_i32x4_s(a!);
  if (from === "float32") return to === "int32" ? ([a], t) => float32ToInt32(a!, t) : ([a]) => saturate(i32x4.trunc_sat_f32x4_s(a!));
  return ([a]) => saturate(a!);
}

const COMPARE: Readonly<Record<string, (a: Code, b: Code) => Code>> = {
  equal: i32x4.eq,
  notEqual: i32x4.ne,
  less: i32x4.lt_s,
  lessEqual: i32x4.le_s,
  greater: i32x4.gt_s,
  greaterEqual: i32x4.ge_s,
};

const ARITHMETIC: Readonly<Record<string, (a: Code, b: Code) => Code>> = {
  add: i32x4.add,
  sub: i32x4.sub,
  mul: i32x4.mul,
};

const UNARY: Readonly<Record<string, (a: Code) => Code>> = {
  neg: i32x4.neg,
  abs: i32x4.abs,
  relu: (a) => i32x4.max_s(a, ZERO()),
};

/**
 * The vector form of a step with an integer among its argument or result dtypes, or undefined when
 * the loop has none (division, modulo, pow, bit ops, float functions of integers: the JavaScript
 * loop runs those programs).
 */
export function integerForm(step: FusedStep, argTypes: readonly DType[], out: DType): VectorForm | undefined {
  if (step.op === "cast") return integerCast(argTypes[0]!, out);
  if (step.op === "where") return argTypes[1] === argTypes[2] ? ([c, a, b]) => v128.bitselect(a!, b!, c!) : undefined;
  const dtype = argTypes[0]!;
  if (!isLoopInteger(dtype) || argTypes.some((t) => t !== dtype)) return undefined;
  const compare = COMPARE[step.op];
  if (compare && argTypes.length === 2) return ([a, b]) => compare(a!, b!);
  if (out !== dtype) return undefined;
  const arithmetic = ARITHMETIC[step.op];
  if (arithmetic && argTypes.length === 2) return ([a, b]) => wrap(out, arithmetic(a!, b!));
  if (step.op === "maximum" && argTypes.length === 2) return ([a, b]) => i32x4.max_s(a!, b!);
  if (step.op === "minimum" && argTypes.length === 2) return ([a, b]) => i32x4.min_s(a!, b!);
  const unary = UNARY[step.op];
  if (unary && argTypes.length === 1) return ([a]) => wrap(out, unary(a!));
  return undefined;
}
