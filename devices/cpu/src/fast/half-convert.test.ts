import assert from "node:assert/strict";
import { test } from "node:test";
import { float16BitsToFloat32, float32ToFloat16Bits } from "@polychip/hal";
import { decodeHalfInto, encodeHalfInto } from "./half-convert.ts";

/** The HAL's rounding of each float32 bit pattern, against the fast encoder's. */
function checkEncodes(patterns: Uint32Array): void {
  const got = new Uint16Array(patterns.length + 3);
  encodeHalfInto(patterns, 0, patterns.length, got, 3);
  const values = new Float32Array(patterns.buffer);
  for (let i = 0; i < patterns.length; i++) {
    const want = float32ToFloat16Bits(values[i]!);
    if (got[i + 3] !== want)
      assert.fail(`float32 bits 0x${patterns[i]!.toString(16)} (${values[i]}): got half 0x${got[i + 3]!.toString(16)}, want 0x${want.toString(16)}`);
  }
}

test("encodeHalfInto rounds like float32ToFloat16Bits at every boundary: ties, subnormals, overflow, Inf, NaN, signed zeros", () => {
  const edges: number[] = [];
  for (const base of [0, 0x33000000, 0x33800000, 0x387fe000, 0x38800000, 0x3f800000, 0x477fe000, 0x477ff000, 0x47800000, 0x7f800000, 0x7fc00000]) {
    for (let d = -0x1001; d <= 0x1001; d += 0x1001 >> 3) edges.push((base + d) >>> 0, ((base + d) | 0x80000000) >>> 0);
  }
  // Exact ties between two halves (lsb even and odd) and one ulp of float32 either side.
  for (let h = 0x0400; h < 0x7c00; h += 0x155) for (const off of [0xfff, 0x1000, 0x1001]) edges.push(((h << 13) + 0x38000000 + off) >>> 0);
  checkEncodes(Uint32Array.from(edges.filter((b) => b >= 0 && b <= 0xffffffff)));
});

test("encodeHalfInto equals float32ToFloat16Bits on 300k random float32 bit patterns", () => {
  const patterns = new Uint32Array(300_000);
  let s = 12345;
  for (let i = 0; i < patterns.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    // Half the draws spread over all patterns, half inside float16's range, where the fast branch runs.
    patterns[i] = i % 2 ? s >>> 0 : (0x30000000 + ((s >>> 0) % 0x18000000)) | (s & 0x80000000);
  }
  checkEncodes(patterns);
});

test("decodeHalfInto gives every float16 bit pattern's exact value", () => {
  const all = Uint16Array.from({ length: 65536 }, (_, b) => b);
  const got = new Float32Array(65536 + 2);
  decodeHalfInto(all, 0, 65536, got, 2);
  for (let b = 0; b < 65536; b++) assert.ok(Object.is(got[b + 2], Math.fround(float16BitsToFloat32(b))), `half 0x${b.toString(16)}`);
});
