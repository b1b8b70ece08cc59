import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "./errors.ts";
import { broadcastShapes, broadcastStrides, contiguousStrides, isContiguous, normalizeAxis, sizeOf } from "./shape.ts";

test("broadcastShapes aligns trailing dims and stretches size-1 dims", () => {
  assert.deepEqual(broadcastShapes("add", [2, 1, 4], [3, 1]), [2, 3, 4]);
  assert.deepEqual(broadcastShapes("where", [5], [1, 5], [2, 1, 1]), [2, 1, 5]);
});

test("broadcastShapes treats a scalar shape as broadcastable to anything", () => {
  assert.deepEqual(broadcastShapes("mul", [], [3, 2]), [3, 2]);
  assert.deepEqual(broadcastShapes("mul", [], []), []);
});

test("broadcastShapes keeps a zero-size dim when the other side is 1", () => {
  assert.deepEqual(broadcastShapes("add", [0, 3], [1, 3]), [0, 3]);
});

test("broadcastShapes refuses incompatible dims with a message naming the op, the shapes and the dim", () => {
  assert.throws(
    () => broadcastShapes("sub", [2, 3], [4, 3]),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.equal(e.message, "sub: shapes [2, 3] and [4, 3] cannot be broadcast together (dim 0: 2 vs 4)");
      return true;
    },
  );
});

test("contiguousStrides are row-major in elements", () => {
  assert.deepEqual(contiguousStrides([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(contiguousStrides([5]), [1]);
  assert.deepEqual(contiguousStrides([]), []);
});

test("isContiguous accepts row-major strides and ignores the stride of size-1 dims", () => {
  assert.equal(isContiguous([2, 3], [3, 1]), true);
  assert.equal(isContiguous([2, 1, 3], [3, 99, 1]), true);
  assert.equal(isContiguous([], []), true);
});

test("isContiguous rejects transposes, broadcasts and padded rows", () => {
  assert.equal(isContiguous([2, 3], [1, 2]), false);
  assert.equal(isContiguous([2, 3], [0, 1]), false);
  assert.equal(isContiguous([2, 3], [4, 1]), false);
});

test("broadcastStrides puts stride 0 on broadcast and new leading dims", () => {
  assert.deepEqual(broadcastStrides([3, 1], [1, 1], [2, 3, 4]), [0, 1, 0]);
});

test("sizeOf multiplies dims; a scalar has one element", () => {
  assert.equal(sizeOf([2, 3, 4]), 24);
  assert.equal(sizeOf([]), 1);
  assert.equal(sizeOf([3, 0]), 0);
});

test("normalizeAxis wraps negative axes and names the op when out of range", () => {
  assert.equal(normalizeAxis("softmax", -1, 3), 2);
  assert.equal(normalizeAxis("softmax", 0, 0), 0);
  assert.throws(() => normalizeAxis("softmax", 3, 3), { name: "ShapeError", message: "softmax: axis 3 is out of range for a tensor of rank 3" });
  assert.throws(() => normalizeAxis("softmax", -4, 3), ShapeError);
});
