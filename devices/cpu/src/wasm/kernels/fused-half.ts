/**
 * float16 in the fused WASM loop (wasm/kernels/fused.ts): a float16 value lives in an f32x4 (every
 * half is a float32 exactly), loaded by widening its bits and stored by rounding to nearest even.
 * A step whose result is float16 computes in float32 and rounds once more to half: for add, sub,
 * mul, div and sqrt that equals the generated JavaScript's float64 result rounded once (24 bits
 * ≥ 2·11 + 2, so the double rounding is innocuous), and the other float ops are exact.
 *
 * `temp` is the first of three consecutive scratch v128 locals; these forms use the second and third.
 */
import type { Code } from "../encoder.ts";
import { f32x4, get, i32, i32x4, set, v128 } from "../instructions.ts";

const splat = (v: number): Code => i32x4.splat(i32.const(v));
const shr = (v: Code, bits: number): Code => i32x4.shr_u(v, i32.const(bits));

/** float32 lanes to float16 bits (in each lane's low 16 bits), rounding to nearest even; NaN becomes a quiet NaN. */
function encode(x: Code, temp: number): Code {
  const [abs, sign] = [temp + 1, temp + 2];
  const f = get(abs);
  // Normal halves: rebias the exponent, add half an ulp minus one plus the kept bit's parity, drop 13 bits.
  const normal = shr(i32x4.add(i32x4.add(f, splat(((15 - 127) << 23) + 0xfff)), v128.and(shr(f, 13), splat(1))), 13);
  // Subnormal halves: adding 0.5 lets the float adder round the bits into place.
  const subnormal = i32x4.sub(f32x4.add(f, f32x4.const(0.5)), splat(126 << 23));
  const special = v128.bitselect(splat(0x7e00), splat(0x7c00), i32x4.gt_s(f, splat(0x7f800000)));
  const finite = v128.bitselect(subnormal, normal, i32x4.gt_s(splat(113 << 23), f));
  return [
    set(abs, x),
    set(sign, v128.and(get(abs), splat(0x80000000 | 0))),
    set(abs, v128.xor(get(abs), get(sign))),
    v128.or(v128.bitselect(special, finite, i32x4.gt_s(f, splat((143 << 23) - 1))), shr(get(sign), 16)),
  ];
}

/** float16 bits (low 16 bits of each lane) to float32 lanes, exactly; `bits` may be evaluated several times. */
function decode(bits: Code): Code {
  const magnitude = i32x4.shl(v128.and(bits, splat(0x7fff)), i32.const(13));
  // The half's exponent bias is 15, float32's 127: scaling by 2^112 rebiases normals and subnormals alike.
  const scaled = f32x4.mul(magnitude, f32x4.const(2 ** 112));
  const infOrNaN = i32x4.eq(v128.and(bits, splat(0x7c00)), splat(0x7c00));
  const unsigned = v128.bitselect(v128.or(magnitude, splat(0x7f800000)), scaled, infOrNaN);
  return v128.or(unsigned, i32x4.shl(v128.and(bits, splat(0x8000)), i32.const(16)));
}

/** Four float16 elements at `addr` as float32 lanes. */
export function loadFourHalves(addr: Code): Code {
  return decode(i32x4.extend_low_i16x8_u(v128.load64Zero(addr)));
}

/** One float16 element at `addr` in every lane, as float32. */
export function loadOneHalf(addr: Code): Code {
  return decode(i32x4.splat(i32.load16u(addr)));
}

/** The low two bytes of each lane, packed into bytes 0-7. */
const lowHalves = (v: Code): Code => v128.shuffle(v, v, [0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13]);

/** Stores four float32 lanes (already halves, or rounded here) as float16 at `addr`. */
export function storeFourHalves(addr: Code, v: Code, temp: number): Code {
  return v128.store64Lane(addr, lowHalves(encode(v, temp)), 0);
}

/** Stores lane 0 as float16 at `addr`. */
export function storeOneHalf(addr: Code, v: Code, temp: number): Code {
  return v128.store16Lane(addr, encode(v, temp), 0);
}

/** float32 lanes rounded to the nearest float16 (ties to even), as float32. */
export function roundToHalf(x: Code, temp: number): Code {
  return [set(temp + 1, encode(x, temp)), decode(get(temp + 1))];
}
