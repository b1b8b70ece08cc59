import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { assertClose, randomValues } from "../test-utils.ts";
import { run, runOp, t } from "../testing.ts";

/** Naive reference: a [B, M, K] @ b [B, K, N], both contiguous. */
function naive(a: number[], b: number[], B: number, M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < B; p++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[p * M * K + i * K + k]! * b[p * K * N + k * N + j]!;
        out.push(s);
      }
    }
  }
  return out;
}

function transpose(x: number[], rows: number, cols: number): number[] {
  return Array.from({ length: rows * cols }, (_, i) => x[(i % rows) * cols + Math.floor(i / rows)]!);
}

test("2x3 @ 3x2 by hand", () => {
  const r = runOp("matmul", [t([1, 2, 3, 4, 5, 6], [2, 3]), t([7, 8, 9, 10, 11, 12], [3, 2])])[0]!;
  assert.deepEqual(r.shape, [2, 2]);
  assert.deepEqual([...r.values], [58, 64, 139, 154]);
});

test("transposeA and transposeB read the operands transposed", () => {
  const a = [1, 2, 3, 4, 5, 6]; // [2,3]
  const b = [7, 8, 9, 10, 11, 12]; // [3,2]
  const expected = [58, 64, 139, 154];
  assert.deepEqual(run("matmul", [t(transpose(a, 2, 3), [3, 2]), t(b, [3, 2])], { transposeA: true }), expected);
  assert.deepEqual(run("matmul", [t(a, [2, 3]), t(transpose(b, 3, 2), [2, 3])], { transposeB: true }), expected);
  assert.deepEqual(run("matmul", [t(transpose(a, 2, 3), [3, 2]), t(transpose(b, 3, 2), [2, 3])], { transposeA: true, transposeB: true }), expected);
});

test("batched matmul, larger than one cache block, matches the naive product", () => {
  const [B, M, K, N] = [2, 5, 300, 270];
  const a = randomValues(B * M * K, 1);
  const b = randomValues(B * K * N, 2);
  assertClose(run("matmul", [t(a, [B, M, K]), t(b, [B, K, N])]), naive(a, b, B, M, K, N), 1e-5, 1e-5);
});

test("strided operands: a transposed view, a broadcast batch, a column-strided b", () => {
  const a = randomValues(12, 3); // stored [4,3], read as [3,4] through strides
  const aView = t(a, [1, 3, 4], "float32", { strides: [0, 1, 3] });
  const b = randomValues(4 * 2 * 2, 4); // [4, 4] buffer, read every other column → [4, 2]
  const bView = t(b, [1, 4, 2], "float32", { strides: [0, 4, 2] });
  const aDense = transpose(a, 4, 3);
  const bDense = Array.from({ length: 8 }, (_, i) => b[Math.floor(i / 2) * 4 + (i % 2) * 2]!);
  assertClose(run("matmul", [aView, bView]), naive(aDense, bDense, 1, 3, 4, 2), 1e-6, 1e-6);
  // Batch stride 0 on a: the same matrix for both batch entries.
  const b2 = randomValues(2 * 4 * 2, 5);
  const expected = [...naive(aDense, b2.slice(0, 8), 1, 3, 4, 2), ...naive(aDense, b2.slice(8), 1, 3, 4, 2)];
  assertClose(run("matmul", [t(a, [2, 3, 4], "float32", { strides: [0, 1, 3] }), t(b2, [2, 4, 2])]), expected, 1e-6, 1e-6);
});

test("integer matmul wraps at 32 bits", () => {
  assert.deepEqual(run("matmul", [t([1, 2], [1, 2], "int32"), t([3, 4], [2, 1], "int32")]), [11]);
  assert.deepEqual(run("matmul", [t([65536, 65536], [1, 2], "int32"), t([32768, 32768], [2, 1], "int32")]), [0]);
  assert.deepEqual(run("matmul", [t([100, 100], [1, 2], "int8"), t([1, 1], [2, 1], "int8")]), [-56]);
});

test("float16 matmul accumulates wide and rounds the result once", () => {
  const r = run("matmul", [t([1, 1, 1], [1, 3], "float16"), t([2048, 1, 1], [3, 1], "float16")]);
  assert.deepEqual(r, [2050]);
});

test("an inner dimension of 0 gives zeros; NaN and Inf propagate", () => {
  assert.deepEqual(run("matmul", [t([], [2, 0]), t([], [0, 2])]), [0, 0, 0, 0]);
  assert.deepEqual(run("matmul", [t([0, 1], [1, 2]), t([Infinity, 2], [2, 1])]), [NaN]);
});

test("mismatched inner or batch dimensions are refused", () => {
  assert.throws(() => run("matmul", [t([1, 2], [1, 2]), t([1, 2, 3], [3, 1])]), ShapeError);
  assert.throws(() => run("matmul", [t([1, 2], [2, 1, 1]), t([1, 2, 3], [3, 1, 1])]), ShapeError);
});
