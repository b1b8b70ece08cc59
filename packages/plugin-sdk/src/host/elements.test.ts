import assert from "node:assert/strict";
import { test } from "node:test";
import { float32ToFloat16Bits, roundToFloat16 } from "@polychip/hal";
import { loadValues, storeValues } from "./elements.ts";
import { HostBuffer } from "./host-buffer.ts";

test("float16 storage is half bits, decoded on load", () => {
  const b = new HostBuffer("d", 4);
  (b.storage("float16") as Uint16Array).set([float32ToFloat16Bits(1.5), float32ToFloat16Bits(-2)]);
  assert.deepEqual([...loadValues({ buffer: b, dtype: "float16", shape: [2], strides: [1], offset: 0 })], [1.5, -2]);
});

test("storing float16 rounds to the nearest half", () => {
  const b = new HostBuffer("d", 2);
  const v = { buffer: b, dtype: "float16" as const, shape: [1], strides: [1], offset: 0 };
  storeValues(v, [0.1]);
  assert.deepEqual([...loadValues(v)], [roundToFloat16(0.1)]);
});

test("loadValues broadcasts to a target shape", () => {
  const b = new HostBuffer("d", 8);
  (b.storage("int32") as Int32Array).set([4, 5]);
  assert.deepEqual([...loadValues({ buffer: b, dtype: "int32", shape: [2, 1], strides: [1, 1], offset: 0 }, [2, 3])], [4, 4, 4, 5, 5, 5]);
});

test("storeValues writes through a strided destination and leaves the gaps alone", () => {
  const b = new HostBuffer("d", 5);
  (b.storage("uint8") as Uint8Array).fill(9);
  storeValues({ buffer: b, dtype: "uint8", shape: [2], strides: [2], offset: 1 }, [1, 2]);
  assert.deepEqual([...b.data], [9, 1, 9, 2, 9]);
});

test("bool stores any nonzero (NaN included) as 1", () => {
  const b = new HostBuffer("d", 3);
  storeValues({ buffer: b, dtype: "bool", shape: [3], strides: [1], offset: 0 }, [0, NaN, -3]);
  assert.deepEqual([...b.data], [0, 1, 1]);
});
