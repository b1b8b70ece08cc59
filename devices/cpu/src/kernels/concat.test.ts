import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

test("concat along axis 0 and axis 1", () => {
  const a = t([1, 2, 3, 4], [2, 2]);
  const b = t([5, 6], [1, 2]);
  assert.deepEqual(run("concat", [a, b], { axis: 0 }), [1, 2, 3, 4, 5, 6]);
  const r = runOp("concat", [a, t([7, 8], [2, 1])], { axis: -1 })[0]!;
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual([...r.values], [1, 2, 7, 3, 4, 8]);
});

test("concat of many inputs, including empty ones and strided views", () => {
  const transposed = t([1, 2, 3, 4], [2, 2], "int32", { strides: [1, 2] });
  const r = run("concat", [t([9, 9], [2, 1], "int32"), t([], [2, 0], "int32"), transposed, t([0, 0], [2, 1], "int32")], { axis: 1 });
  assert.deepEqual(r, [9, 1, 3, 0, 9, 2, 4, 0]);
});

test("concat moves float16 bits and bools unchanged", () => {
  assert.deepEqual(run("concat", [t([NaN], [1], "float16"), t([0.1], [1], "float16")]), [NaN, 0.0999755859375]);
  assert.deepEqual(run("concat", [t([1], [1], "bool"), t([0], [1], "bool")]), [1, 0]);
});

test("concat refuses mismatched shapes or dtypes", () => {
  assert.throws(() => run("concat", [t([1, 2], [1, 2]), t([1, 2, 3], [1, 3])], { axis: 0 }), ShapeError);
  assert.throws(() => run("concat", [t([1], [1]), t([1], [1], "int32")]), ShapeError);
});

test("concat of rank-3 tensors on every axis, in long blocks and short ones, matches an index-by-index copy", () => {
  const shapes = [
    [2, 129, 8],
    [2, 3, 8],
  ];
  for (let axis = 0; axis < 3; axis++) {
    const parts = shapes.map((s, k) => {
      const shape = s.map((d, i) => (i === axis ? d : shapes[0]![i]!));
      const n = shape.reduce((a, b) => a * b, 1);
      return { shape, values: Array.from({ length: n }, (_, i) => k * 10_000 + i) };
    });
    const got = runOp(
      "concat",
      parts.map((p) => t(p.values, p.shape)),
      { axis },
    )[0]!;
    const outShape = parts[0]!.shape.map((d, i) => (i === axis ? parts[0]!.shape[i]! + parts[1]!.shape[i]! : d));
    assert.deepEqual(got.shape, outShape);
    // Output element (i0, i1, i2) comes from the part whose slab along `axis` holds it.
    const expected: number[] = [];
    for (let i0 = 0; i0 < outShape[0]!; i0++)
      for (let i1 = 0; i1 < outShape[1]!; i1++)
        for (let i2 = 0; i2 < outShape[2]!; i2++) {
          const idx = [i0, i1, i2];
          const k = idx[axis]! < parts[0]!.shape[axis]! ? 0 : 1;
          if (k === 1) idx[axis] = idx[axis]! - parts[0]!.shape[axis]!;
          const s = parts[k]!.shape;
          expected.push(parts[k]!.values[(idx[0]! * s[1]! + idx[1]!) * s[2]! + idx[2]!]!);
        }
    assert.deepEqual([...got.values], expected, `axis ${axis}`);
  }
});
