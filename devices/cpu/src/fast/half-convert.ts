import { float32ToFloat16Bits } from "@polychip/hal";
import { halfDecodeTable } from "../views.ts";

/** float16 bits src[from..from+n) to float32 values dst[to..), through the decode table (exact). */
export function decodeHalfInto(src: Uint16Array, from: number, n: number, dst: Float32Array, to: number): void {
  const table = halfDecodeTable();
  for (let i = 0; i < n; i++) dst[to + i] = table[src[from + i]!]!;
}

/** Smallest float32 magnitude (bits) that is a normal float16: 2^-14. */
const MIN_NORMAL = 0x38800000;
/** float32 magnitudes (bits) from here on round to Inf or are Inf/NaN. */
const ROUNDS_TO_INF = 0x477ff000;
/** float32 magnitudes (bits) up to 2^-25 round to ±0 (2^-25 itself is a tie that goes to the even 0). */
const ROUNDS_TO_ZERO = 0x33000000;
/** Moves a float32 exponent bias (127) to float16's (15), in the exponent field. */
const REBIAS = 112 << 23;

const bits = new Uint32Array(1);
const value = new Float32Array(bits.buffer);

/**
 * float32 values (as their bits) src[from..from+n) to float16 bits dst[to..), round to nearest
 * even: the HAL's float32ToFloat16Bits, bit for bit. Values whose float16 is normal round with
 * integer arithmetic (add just under half an ulp plus the kept lsb, then shift) and tiny ones go
 * to ±0 without a call; subnormals, overflow, Inf and NaN go through the HAL's function.
 */
export function encodeHalfInto(src: Uint32Array, from: number, n: number, dst: Uint16Array, to: number): void {
  for (let i = 0; i < n; i++) {
    const x = src[from + i]!;
    const a = x & 0x7fffffff;
    if (a >= MIN_NORMAL && a < ROUNDS_TO_INF) {
      dst[to + i] = ((x >>> 16) & 0x8000) | ((a - REBIAS + 0xfff + ((a >>> 13) & 1)) >>> 13);
    } else if (a <= ROUNDS_TO_ZERO) {
      dst[to + i] = (x >>> 16) & 0x8000;
    } else {
      bits[0] = x;
      dst[to + i] = float32ToFloat16Bits(value[0]!);
    }
  }
}
