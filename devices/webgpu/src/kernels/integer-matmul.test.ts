import assert from "node:assert/strict";
import { test } from "node:test";
import { ints, matchesCpu, runGpu, t } from "../testing/harness.ts";

const EXACT = { rtol: 0, atol: 0 };

test("integerMatmul in i32 equals the cpu for int8 and uint8 operands, every zero-point form, odd tile edges", async () => {
  const [M, K, N] = [5, 37, 66];
  for (const [da, db, lo, hi] of [
    ["uint8", "int8", 0, 256],
    ["int8", "uint8", -128, 128],
  ] as const) {
    const a = t(ints(M * K, lo, hi, 1), [M, K], da);
    const [blo, bhi] = db === "uint8" ? [0, 256] : [-128, 128];
    const b = t(ints(K * N, blo, bhi, 2), [K, N], db);
    await matchesCpu("integerMatmul", [a, b], {}, EXACT);
    await matchesCpu("integerMatmul", [a, b, t([lo + 3], [], da), t([blo + 200], [], db)], {}, EXACT);
    await matchesCpu("integerMatmul", [a, b, t(ints(M, lo, hi, 3), [M], da), t(ints(N, blo, bhi, 4), [N], db)], {}, EXACT);
  }
});

test("integerMatmul on batches with a broadcast B equals the cpu", async () => {
  const a = t(ints(2 * 3 * 20, 0, 256, 5), [2, 3, 20], "uint8");
  const b = t(ints(20 * 7, 0, 256, 6), [2, 20, 7], "uint8", { strides: [0, 7, 1] });
  await matchesCpu("integerMatmul", [a, b, t([128], [], "uint8"), t([7], [], "uint8")], {}, EXACT);
});

test("integerMatmul is exact at K = 1152 with worst-case values (sums past 2^24)", async () => {
  const K = 1152;
  const [y] = await runGpu("integerMatmul", [
    t(new Array(2 * K).fill(0), [2, K], "uint8"),
    t(new Array(K * 3).fill(255), [K, 3], "uint8"),
    t([255], [], "uint8"),
    t([0], [], "uint8"),
  ]);
  assert.equal(y!.dtype, "int32");
  assert.deepEqual(Array.from(y!.values), new Array(6).fill(-255 * 255 * K));
});
