import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { run, runOp, t, uploadView } from "../testing.ts";
import { copyKernels } from "./copy.ts";

test("copy makes a strided view contiguous", () => {
  assert.deepEqual(run("copy", [t([1, 2, 3, 4, 5, 6], [3, 2], "float32", { strides: [1, 3] })]), [1, 4, 2, 5, 3, 6]);
});

test("copy writes into a strided destination view and leaves the rest of the buffer", () => {
  const r = runOp("copy", [t([7, 8], [2])], {}, { into: t([0, 0, 0, 0, 0], [2], "float32", { strides: [2], offset: 1 }) })[0]!;
  assert.deepEqual([...r.values], [0, 7, 0, 8, 0]);
});

test("copy moves float16 bits unchanged, NaN included", () => {
  assert.deepEqual(run("copy", [t([NaN, 65504, -0.5], [3], "float16")]), [NaN, 65504, -0.5]);
});

test("copy of a broadcast view repeats the element", () => {
  assert.deepEqual(run("copy", [t([3], [2, 2], "int8", { strides: [0, 0] })]), [3, 3, 3, 3]);
});

test("copy between overlapping views of one buffer reads before it writes", () => {
  const d = new CpuDevice();
  const v = uploadView(d, { values: [1, 2, 3, 4], shape: [4], dtype: "int32" });
  const src = { ...v, shape: [3], strides: [1], offset: 0 };
  const dst = { ...v, shape: [3], strides: [1], offset: 1 };
  d.launch(copyKernels[0]!.kernel, { op: "copy", inputs: [src], outputs: [dst], attrs: {} });
  assert.deepEqual([...new Int32Array(d.readSync(v.buffer, 0, 16).buffer)], [1, 1, 2, 3]);
});

test("copy refuses a destination of another shape", () => {
  assert.throws(() => runOp("copy", [t([1, 2], [2])], {}, { into: t([0, 0, 0], [3]) }), ShapeError);
});
