/**
 * Instructions as composable code: every helper takes its operands as code and returns code that
 * leaves the result on the stack, so kernels read like expressions:
 *   set(acc, f32x4.add(get(acc), f32x4.mul(v128.load(get(p)), get(b))))
 * Opcodes follow the WebAssembly core and SIMD specifications.
 */
import { f32Bytes, f64Bytes, sleb32, typeCode, uleb, type Code, type FunctionBuilder, type ValType } from "./encoder.ts";

const SIMD = 0xfd;
const simd = (op: number): number[] => [SIMD, ...uleb(op)];
/** Memory immediate: alignment as log2 bytes, then the constant offset. */
const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];

// ---- locals and calls ----
export const get = (local: number): Code => [0x20, ...uleb(local)];
export const set = (local: number, value: Code): Code => [value, 0x21, ...uleb(local)];
export const tee = (local: number, value: Code): Code => [value, 0x22, ...uleb(local)];
export const call = (fn: FunctionBuilder, ...args: Code[]): Code => [args, 0x10, ...uleb(fn.index)];
export const drop = (value: Code): Code => [value, 0x1a];
export const select = (a: Code, b: Code, cond: Code): Code => [a, b, cond, 0x1b];
export const unreachable: Code = 0x00;
export const ret = (value?: Code): Code => (value === undefined ? 0x0f : [value, 0x0f]);

// ---- control ----
const EMPTY = 0x40;
export const block = (...body: Code[]): Code => [0x02, EMPTY, body, 0x0b];
export const loop = (...body: Code[]): Code => [0x03, EMPTY, body, 0x0b];
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number, cond: Code): Code => [cond, 0x0d, ...uleb(depth)];
export const when = (cond: Code, ...then: Code[]): Code => [cond, 0x04, EMPTY, then, 0x0b];
export const ifElse = (cond: Code, then: Code[], otherwise: Code[]): Code => [cond, 0x04, EMPTY, then, 0x05, otherwise, 0x0b];

const binary =
  (op: number) =>
  (a: Code, b: Code): Code => [a, b, op];
const unary =
  (op: number) =>
  (a: Code): Code => [a, op];
const simdBinary =
  (op: number) =>
  (a: Code, b: Code): Code => [a, b, simd(op)];
const simdUnary =
  (op: number) =>
  (a: Code): Code => [a, simd(op)];

export const i32 = {
  const: (v: number): Code => [0x41, ...sleb32(v)],
  load: (addr: Code, offset = 0): Code => [addr, 0x28, ...memarg(2, offset)],
  load8u: (addr: Code, offset = 0): Code => [addr, 0x2d, ...memarg(0, offset)],
  load8s: (addr: Code, offset = 0): Code => [addr, 0x2c, ...memarg(0, offset)],
  load16s: (addr: Code, offset = 0): Code => [addr, 0x2e, ...memarg(1, offset)],
  store16: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3b, ...memarg(1, offset)],
  load16u: (addr: Code, offset = 0): Code => [addr, 0x2f, ...memarg(1, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x36, ...memarg(2, offset)],
  store8: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x3a, ...memarg(0, offset)],
  eqz: unary(0x45),
  eq: binary(0x46),
  ne: binary(0x47),
  lt_s: binary(0x48),
  lt_u: binary(0x49),
  gt_s: binary(0x4a),
  gt_u: binary(0x4b),
  le_s: binary(0x4c),
  le_u: binary(0x4d),
  ge_s: binary(0x4e),
  ge_u: binary(0x4f),
  add: binary(0x6a),
  sub: binary(0x6b),
  mul: binary(0x6c),
  div_s: binary(0x6d),
  div_u: binary(0x6e),
  rem_s: binary(0x6f),
  rem_u: binary(0x70),
  and: binary(0x71),
  or: binary(0x72),
  xor: binary(0x73),
  shl: binary(0x74),
  shr_s: binary(0x75),
  shr_u: binary(0x76),
  trunc_sat_f32_s: (a: Code): Code => [a, 0xfc, 0x00],
};

export const f32 = {
  const: (v: number): Code => [0x43, ...f32Bytes(v)],
  load: (addr: Code, offset = 0): Code => [addr, 0x2a, ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x38, ...memarg(2, offset)],
  eq: binary(0x5b),
  ne: binary(0x5c),
  lt: binary(0x5d),
  gt: binary(0x5e),
  le: binary(0x5f),
  ge: binary(0x60),
  abs: unary(0x8b),
  neg: unary(0x8c),
  ceil: unary(0x8d),
  floor: unary(0x8e),
  nearest: unary(0x90),
  sqrt: unary(0x91),
  add: binary(0x92),
  sub: binary(0x93),
  mul: binary(0x94),
  div: binary(0x95),
  min: binary(0x96),
  max: binary(0x97),
  convert_i32_s: unary(0xb2),
  demote_f64: unary(0xb6),
};

/** Signed LEB128 of a 64-bit integer given as a bigint. */
function sleb64(value: bigint): number[] {
  let v = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export const i64 = {
  const: (v: bigint): Code => [0x42, ...sleb64(v)],
  and: binary(0x83),
  or: binary(0x84),
  shl: binary(0x86),
  shr_u: binary(0x88),
  extend_i32_s: unary(0xac),
  reinterpret_f64: unary(0xbd),
  wrap: unary(0xa7),
};

export const f64 = {
  const: (v: number): Code => [0x44, ...f64Bytes(v)],
  eq: binary(0x61),
  ne: binary(0x62),
  le: binary(0x65),
  ge: binary(0x66),
  abs: unary(0x99),
  neg: unary(0x9a),
  nearest: unary(0x9e),
  reinterpret_i64: unary(0xbf),
  trunc_sat_i32_s: (a: Code): Code => [a, 0xfc, 0x02],
  load: (addr: Code, offset = 0): Code => [addr, 0x2b, ...memarg(3, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x39, ...memarg(3, offset)],
  lt: binary(0x63),
  gt: binary(0x64),
  add: binary(0xa0),
  sub: binary(0xa1),
  mul: binary(0xa2),
  div: binary(0xa3),
  sqrt: unary(0x9f),
  max: binary(0xa5),
  promote_f32: unary(0xbb),
  convert_i32_s: unary(0xb7),
};

export const v128 = {
  load: (addr: Code, offset = 0): Code => [addr, simd(0x00), ...memarg(4, offset)],
  /** One f32 (or i32) broadcast to all four lanes. */
  load32Splat: (addr: Code, offset = 0): Code => [addr, simd(0x09), ...memarg(2, offset)],
  /** Eight bytes sign-extended (s) or zero-extended (u) to eight i16 lanes. */
  load8x8s: (addr: Code, offset = 0): Code => [addr, simd(0x01), ...memarg(3, offset)],
  load8x8u: (addr: Code, offset = 0): Code => [addr, simd(0x02), ...memarg(3, offset)],
  /** Two f32 into the low lanes, zeros above. */
  load64Zero: (addr: Code, offset = 0): Code => [addr, simd(0x5d), ...memarg(3, offset)],
  load32Zero: (addr: Code, offset = 0): Code => [addr, simd(0x5c), ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, simd(0x0b), ...memarg(4, offset)],
  store8Lane: (addr: Code, value: Code, lane: number, offset = 0): Code => [addr, value, simd(0x58), ...memarg(0, offset), lane],
  store16Lane: (addr: Code, value: Code, lane: number, offset = 0): Code => [addr, value, simd(0x59), ...memarg(1, offset), lane],
  store32Lane: (addr: Code, value: Code, lane: number, offset = 0): Code => [addr, value, simd(0x5a), ...memarg(2, offset), lane],
  store64Lane: (addr: Code, value: Code, lane: number, offset = 0): Code => [addr, value, simd(0x5b), ...memarg(3, offset), lane],
  const: (bytes: readonly number[]): Code => [simd(0x0c), ...bytes],
  /** Lanes picked by byte index from a (0-15) and b (16-31). */
  shuffle: (a: Code, b: Code, lanes: readonly number[]): Code => [a, b, simd(0x0d), ...lanes],
  not: simdUnary(0x4d),
  and: simdBinary(0x4e),
  andnot: simdBinary(0x4f),
  or: simdBinary(0x50),
  xor: simdBinary(0x51),
  bitselect: (a: Code, b: Code, mask: Code): Code => [a, b, mask, simd(0x52)],
  anyTrue: simdUnary(0x53),
};

/** Byte lanes of a 32-bit-lane shuffle: lanes 0-3 from a, 4-7 from b. */
export function lanes32(...picks: number[]): number[] {
  return picks.flatMap((p) => [p * 4, p * 4 + 1, p * 4 + 2, p * 4 + 3]);
}

export const f32x4 = {
  splat: simdUnary(0x13),
  extractLane: (v: Code, lane: number): Code => [v, simd(0x1f), lane],
  const: (a: number, b = a, c = a, d = a): Code => v128.const([a, b, c, d].flatMap(f32Bytes)),
  eq: simdBinary(0x41),
  ne: simdBinary(0x42),
  lt: simdBinary(0x43),
  gt: simdBinary(0x44),
  le: simdBinary(0x45),
  ge: simdBinary(0x46),
  ceil: simdUnary(0x67),
  floor: simdUnary(0x68),
  trunc: simdUnary(0x69),
  nearest: simdUnary(0x6a),
  abs: simdUnary(0xe0),
  neg: simdUnary(0xe1),
  sqrt: simdUnary(0xe3),
  add: simdBinary(0xe4),
  sub: simdBinary(0xe5),
  mul: simdBinary(0xe6),
  div: simdBinary(0xe7),
  /** NaN-propagating min/max (IEEE minimum/maximum, -0 below +0). */
  min: simdBinary(0xe8),
  max: simdBinary(0xe9),
  /** b < a ? b : a, and a < b ? b : a: one instruction each on x86 (minps/maxps). */
  pmin: simdBinary(0xea),
  pmax: simdBinary(0xeb),
  convert_i32x4_s: simdUnary(0xfa),
  /** Two f64 lanes rounded to the two low f32 lanes, zeros above. */
  demote_f64x2_zero: simdUnary(0x5e),
  /** Relaxed SIMD: a·b + c, fused where the hardware has FMA (needs the relaxed-simd feature). */
  relaxedMadd: (a: Code, b: Code, c: Code): Code => [a, b, c, simd(0x105)],
};

export const f64x2 = {
  splat: simdUnary(0x14),
  extractLane: (v: Code, lane: number): Code => [v, simd(0x21), lane],
  lt: simdBinary(0x49),
  gt: simdBinary(0x4a),
  nearest: simdUnary(0x94),
  add: simdBinary(0xf0),
  sub: simdBinary(0xf1),
  mul: simdBinary(0xf2),
  div: simdBinary(0xf3),
  /** The two low f32 lanes widened to f64. */
  promote_low_f32x4: simdUnary(0x5f),
};

export const i32x4 = {
  splat: simdUnary(0x11),
  ne: simdBinary(0x38),
  extractLane: (v: Code, lane: number): Code => [v, simd(0x1b), lane],
  eq: simdBinary(0x37),
  gt_s: simdBinary(0x3b),
  lt_s: simdBinary(0x39),
  le_s: simdBinary(0x3d),
  ge_s: simdBinary(0x3f),
  abs: simdUnary(0xa0),
  neg: simdUnary(0xa1),
  min_s: simdBinary(0xb6),
  max_s: simdBinary(0xb8),
  /** Sign-extends the low four i16 lanes to i32. */
  extend_low_i16x8_s: simdUnary(0xa7),
  add: simdBinary(0xae),
  sub: simdBinary(0xb1),
  mul: simdBinary(0xb5),
  shl: simdBinary(0xab),
  shr_s: simdBinary(0xac),
  shr_u: simdBinary(0xad),
  bitmask: simdUnary(0xa4),
  /** Sign-extends the high four i16 lanes to i32. */
  extend_high_i16x8_s: simdUnary(0xa8),
  /** Zero-extends the low four u16 lanes to u32. */
  extend_low_i16x8_u: simdUnary(0xa9),
  /** Lane i: a[2i]·b[2i] + a[2i+1]·b[2i+1], the i16 products summed in i32. */
  dot_i16x8_s: simdBinary(0xba),
  trunc_sat_f32x4_s: simdUnary(0xf8),
  /** Two f64 lanes truncated (saturating) to the two low i32 lanes, zeros above. */
  trunc_sat_f64x2_s_zero: simdUnary(0xfc),
};

export const i64x2 = {
  splat: simdUnary(0x12),
  /** Sign-extends the two low i32 lanes to i64. */
  extend_low_i32x4_s: simdUnary(0xc7),
  /** Each lane shifted left by an i32 count. */
  shl: simdBinary(0xcb),
  add: simdBinary(0xce),
};

export const i16x8 = {
  sub: simdBinary(0x91),
  /** Sign-extends the low eight i8 lanes to i16. */
  extend_low_i8x16_s: simdUnary(0x87),
  /** Zero-extends the low eight u8 lanes to u16. */
  extend_low_i8x16_u: simdUnary(0x89),
  /** Saturating narrow of two i32x4 into eight u16 lanes. */
  narrow_i32x4_u: simdBinary(0x86),
};

export const i8x16 = {
  narrow_i16x8_u: simdBinary(0x66),
};

// ---- values chosen by a condition ----

/** cond ? a : b for values of `type`, evaluating only the chosen operand (it may read memory that is not there otherwise). */
export const choose = (type: ValType, cond: Code, a: Code, b: Code): Code => [cond, 0x04, typeCode(type), a, 0x05, b, 0x0b];

/** Signed minimum / maximum of two i32; both operands are evaluated twice, so pass locals or constants. */
export const minS = (a: Code, b: Code): Code => select(a, b, i32.lt_s(a, b));
export const maxS = (a: Code, b: Code): Code => select(a, b, i32.gt_s(a, b));

// ---- structured loops over locals ----

/**
 * for (i = start; i < end; i += step) body — `end` is re-evaluated each iteration, so pass a local
 * or a constant. The body must not branch out of the loop.
 */
export function forRange(i: number, start: Code, end: Code, step: number | Code, ...body: Code[]): Code {
  const inc = typeof step === "number" ? i32.const(step) : step;
  return [set(i, start), block(brIf(0, i32.ge_s(get(i), end)), loop(body, set(i, i32.add(get(i), inc)), brIf(0, i32.lt_s(get(i), end))))];
}

/** while (cond) body — the body must not branch out. */
export function whileLoop(cond: Code, ...body: Code[]): Code {
  return block(brIf(0, i32.eqz(cond)), loop(body, brIf(0, cond)));
}

/** local += amount (i32). */
export const inc = (local: number, amount: Code | number): Code => set(local, i32.add(get(local), typeof amount === "number" ? i32.const(amount) : amount));
