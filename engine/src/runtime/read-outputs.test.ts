import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHost } from "../core/dispatch.ts";
import { readOutputs } from "./read-outputs.ts";

const bitsOf = (a: ArrayLike<number>) => Array.from(new Int32Array(Float32Array.from(a).buffer));

test("outputs read at once keep every float32 bit, NaN payloads included, and release the views", async () => {
  const nans = new Float32Array(new Int32Array([0x7fa00001, 0xffc00123, 0x7fc00000]).buffer);
  const small = Float32Array.from([1.5, -0, Infinity, 3.4e38, 1e-45, ...nans]);
  const finite = Float32Array.from([0.25, -2, 7e-39]);
  const large = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 1e3);
  const views = {
    small: fromHost(small, [small.length], "float32", "cpu"),
    finite: fromHost(finite, [3], "float32", "cpu"),
    large: fromHost(large, [10, 10], "float32", "cpu"),
    ints: fromHost([3, -7, 2147483647], [3], "int32", "cpu"),
  };
  const out = await readOutputs(views, Object.keys(views));
  assert.deepEqual(Object.keys(out), ["small", "finite", "large", "ints"]);
  assert.equal(out.small!.data.length, small.length);
  assert.deepEqual(bitsOf(out.finite!.data), bitsOf(finite));
  assert.deepEqual(bitsOf(out.large!.data), bitsOf(large));
  assert.deepEqual(out.large!.shape, [10, 10]);
  assert.deepEqual(Array.from(out.ints!.data), [3, -7, 2147483647]);
  // NaN payloads: compare the bits of the array returned, not a copy made through JavaScript numbers.
  const got = out.small!.data as Float32Array;
  assert.deepEqual(Array.from(new Int32Array(got.buffer, got.byteOffset, got.length)), Array.from(new Int32Array(small.buffer)));
  for (const v of Object.values(views)) assert.equal(v.storage.alive, false, "the views were released");
});

test("without a list of distinct names, outputs are read one by one with the same values", async () => {
  const views = { a: fromHost([1.25, -3], [2], "float32", "cpu"), b: fromHost([4], [1], "int32", "cpu") };
  const out = await readOutputs(views, undefined);
  assert.deepEqual(Array.from(out.a!.data), [1.25, -3]);
  assert.deepEqual(Array.from(out.b!.data), [4]);
  for (const v of Object.values(views)) assert.equal(v.storage.alive, false);
});
