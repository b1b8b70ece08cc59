/**
 * libjpeg's "islow" inverse DCT (jidctint.c, the default of libjpeg and libjpeg-turbo, whose SIMD
 * versions match it exactly): 13-bit fixed-point constants, two extra bits kept between the column
 * and row passes, and its output range limit (the result taken modulo 1024 as a signed value, then
 * clamped to 0..255 after adding 128). Following its arithmetic exactly is what makes decoded
 * pixels equal libjpeg's, and so Pillow's. Plain numbers are exact here (libjpeg's JLONG is 64-bit).
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** (x + 2^(n−1)) >> n as libjpeg's DESCALE on a 64-bit integer (floor division, exact for doubles). */
const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/** libjpeg's post-IDCT range limit: the low 10 bits as a signed value, plus 128, clamped. */
function rangeLimit(x: number): number {
  const v = ((x & 1023) ^ 512) - 512 + 128;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The 1-D 8-point butterfly both passes share, on inputs in0..in7 (natural order); writes out[0..7] before descaling. */
function butterfly(c: ArrayLike<number>, at: number, step: number, scale: (i: number) => number, out: Float64Array): void {
  let z2 = c[at + 2 * step]! * scale(2);
  let z3 = c[at + 6 * step]! * scale(6);
  let z1 = (z2 + z3) * FIX_0_541196100;
  let tmp2 = z1 + z3 * -FIX_1_847759065;
  let tmp3 = z1 + z2 * FIX_0_765366865;
  z2 = c[at]! * scale(0);
  z3 = c[at + 4 * step]! * scale(4);
  let tmp0 = (z2 + z3) * 2 ** CONST_BITS;
  let tmp1 = (z2 - z3) * 2 ** CONST_BITS;
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  tmp0 = c[at + 7 * step]! * scale(7);
  tmp1 = c[at + 5 * step]! * scale(5);
  tmp2 = c[at + 3 * step]! * scale(3);
  tmp3 = c[at + step]! * scale(1);
  z1 = tmp0 + tmp3;
  z2 = tmp1 + tmp2;
  z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * FIX_1_175875602;
  tmp0 *= FIX_0_298631336;
  tmp1 *= FIX_2_053119869;
  tmp2 *= FIX_3_072711026;
  tmp3 *= FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  out[0] = tmp10 + tmp3;
  out[7] = tmp10 - tmp3;
  out[1] = tmp11 + tmp2;
  out[6] = tmp11 - tmp2;
  out[2] = tmp12 + tmp1;
  out[5] = tmp12 - tmp1;
  out[3] = tmp13 + tmp0;
  out[4] = tmp13 - tmp0;
}

/**
 * One 8×8 block: `coef` (natural order, 64 values from `offset`) times `quant` (natural order) →
 * 8 rows of 8 samples written into `out` at `outAt` with row pitch `pitch`.
 */
/** Scratch space of one block (the decoder is synchronous: one block at a time). */
const ws = new Float64Array(64);
const tmp = new Float64Array(8);
const one = () => 1;

export function idctIslow(coef: Int16Array, offset: number, quant: ArrayLike<number>, out: Uint8Array, outAt: number, pitch: number): void {
  for (let col = 0; col < 8; col++) {
    let allZero = true;
    for (let row = 1; row < 8; row++) if (coef[offset + row * 8 + col] !== 0) allZero = false;
    if (allZero) {
      const dc = coef[offset + col]! * quant[col]! * 2 ** PASS1_BITS;
      for (let row = 0; row < 8; row++) ws[row * 8 + col] = dc;
      continue;
    }
    butterfly(coef, offset + col, 8, (i) => quant[i * 8 + col]!, tmp);
    for (let row = 0; row < 8; row++) ws[row * 8 + col] = descale(tmp[row]!, CONST_BITS - PASS1_BITS);
  }
  for (let row = 0; row < 8; row++) {
    const w = row * 8;
    const o = outAt + row * pitch;
    let allZero = true;
    for (let k = 1; k < 8; k++) if (ws[w + k] !== 0) allZero = false;
    if (allZero) {
      out.fill(rangeLimit(descale(ws[w]!, PASS1_BITS + 3)), o, o + 8);
      continue;
    }
    butterfly(ws, w, 1, one, tmp);
    for (let k = 0; k < 8; k++) out[o + k] = rangeLimit(descale(tmp[k]!, CONST_BITS + PASS1_BITS + 3));
  }
}
