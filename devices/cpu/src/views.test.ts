import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuDevice } from "./device.ts";
import { uploadView } from "./testing.ts";
import { gatherStrided, openOutput, readRaw, readValues, scatterStrided, stridedOffsets } from "./views.ts";

test("gatherStrided reads a transposed view in row-major order", () => {
  const out: number[] = [];
  gatherStrided([0, 1, 2, 3, 4, 5], 0, [3, 2], [1, 3], out);
  assert.deepEqual(out, [0, 3, 1, 4, 2, 5]);
});

test("gatherStrided handles offsets, broadcast strides and rank 0", () => {
  const out: number[] = [];
  gatherStrided([9, 7, 8], 1, [2, 2], [0, 1], out);
  assert.deepEqual(out, [7, 8, 7, 8]);
  const scalar: number[] = [];
  gatherStrided([5, 6], 1, [], [], scalar);
  assert.deepEqual(scalar, [6]);
});

test("scatterStrided writes into every other element", () => {
  const dst = [0, 0, 0, 0, 0, 0];
  scatterStrided([1, 2, 3], 0, dst, 1, [3], [2]);
  assert.deepEqual(dst, [0, 1, 0, 2, 0, 3]);
});

test("stridedOffsets lists element offsets of a 3-D view", () => {
  assert.deepEqual([...stridedOffsets([2, 1, 2], [10, 5, -1], 3)], [3, 2, 13, 12]);
});

test("readRaw shares memory for contiguous views and copies strided ones", () => {
  const d = new CpuDevice();
  const v = uploadView(d, { values: [1, 2, 3, 4], shape: [2, 2] });
  const shared = readRaw(v);
  assert.equal(shared.buffer, v.buffer.data);
  const transposed = readRaw({ ...v, strides: [1, 2] });
  assert.notEqual(transposed.buffer, v.buffer.data);
  assert.deepEqual([...transposed], [1, 3, 2, 4]);
});

test("readValues decodes float16 and openOutput rounds float16 on commit", () => {
  const d = new CpuDevice();
  const v = uploadView(d, { values: [1.5, -2, 65504, 0.1], shape: [4], dtype: "float16" });
  assert.deepEqual([...readValues(v)], [1.5, -2, 65504, 0.0999755859375]);
  const out = openOutput(v);
  out.values.set([1 / 3, 70000, 2049, -0]);
  out.commit();
  assert.deepEqual([...readValues(v)], [0.333251953125, Infinity, 2048, -0]);
});
