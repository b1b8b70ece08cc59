import assert from "node:assert/strict";
import { test } from "node:test";
import { float16BitsToFloat32, float32ToFloat16Bits, roundToFloat16 } from "./half.ts";

test("every non-NaN float16 bit pattern survives a round trip through float32", () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const exp = (bits >>> 10) & 0x1f;
    if (exp === 0x1f && (bits & 0x3ff) !== 0) continue;
    assert.equal(float32ToFloat16Bits(float16BitsToFloat32(bits)), bits, `bits 0x${bits.toString(16)}`);
  }
});

test("exact values encode to their IEEE binary16 bits", () => {
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(0.5), 0x3800);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(-0), 0x8000);
});

test("ties round to the even mantissa", () => {
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00); // halfway between 1 and 1+2^-10: keep even 1
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // halfway between odd 0x3c01 and even 0x3c02
  assert.equal(float32ToFloat16Bits(2049), 0x6800); // 2048 and 2050 are neighbours: tie goes to 2048
  assert.equal(float32ToFloat16Bits(2051), 0x6802); // tie between 2050 (odd) and 2052 (even)
});

test("values off a tie round to the nearest", () => {
  assert.equal(roundToFloat16(1 + 2 ** -11 + 2 ** -20), 1 + 2 ** -10);
  assert.equal(roundToFloat16(0.1), 0.0999755859375);
});

test("rounding may carry into the exponent", () => {
  assert.equal(float32ToFloat16Bits(2 - 2 ** -12), 0x4000);
});

test("values beyond the float16 range overflow to infinity", () => {
  assert.equal(float32ToFloat16Bits(65519), 0x7bff); // still rounds down to the largest finite
  assert.equal(float32ToFloat16Bits(65520), 0x7c00); // the tie with 65536 goes to even, which overflows
  assert.equal(float32ToFloat16Bits(1e6), 0x7c00);
  assert.equal(float32ToFloat16Bits(-1e6), 0xfc00);
  assert.equal(float16BitsToFloat32(0x7c00), Infinity);
  assert.equal(float16BitsToFloat32(0xfc00), -Infinity);
});

test("infinities and NaN keep their meaning", () => {
  assert.equal(float32ToFloat16Bits(Infinity), 0x7c00);
  assert.equal(float32ToFloat16Bits(-Infinity), 0xfc00);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
});

test("subnormals encode exactly and round half-to-even at the bottom of the range", () => {
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float32ToFloat16Bits(2 ** -14), 0x0400); // smallest normal
  assert.equal(float32ToFloat16Bits(2 ** -14 - 2 ** -24), 0x03ff); // largest subnormal
  assert.equal(float32ToFloat16Bits(2 ** -25), 0x0000); // tie between 0 and 2^-24: even is 0
  assert.equal(float32ToFloat16Bits(3 * 2 ** -25), 0x0002); // tie between 1 and 2 subnormal steps: even is 2
  assert.equal(float32ToFloat16Bits(1.5 * 2 ** -25), 0x0001); // above the tie: rounds up
  assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000); // below half the smallest subnormal
  assert.equal(float32ToFloat16Bits(-(2 ** -24)), 0x8001);
  assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
});
