import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, FormatError } from "@polychip/hal";
import { DataType } from "./proto/types.ts";
import { tensorFromProto, tensorToProto, tensorValues } from "./tensor.ts";

const int64Raw = (values: bigint[]) => new Uint8Array(new BigInt64Array(values).buffer);

test("float32 raw_data and float_data decode to the same values", () => {
  const raw = tensorFromProto({ dims: [2], dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(1.5, -2).buffer) }, "t");
  const typed = tensorFromProto({ dims: [2], dataType: DataType.FLOAT, floatData: [1.5, -2] }, "t");
  assert.deepEqual([raw.dtype, Array.from(raw.data)], ["float32", [1.5, -2]]);
  assert.deepEqual(Array.from(typed.data), [1.5, -2]);
});

test("a raw_data view into a larger buffer decodes only its own bytes", () => {
  const backing = new Uint8Array(16);
  new Float32Array(backing.buffer).set([9, 1, 2, 9]);
  const t = tensorFromProto({ dims: [2], dataType: DataType.FLOAT, rawData: backing.subarray(4, 12) }, "t");
  assert.deepEqual(Array.from(t.data), [1, 2]);
});

test("int64 narrows to int32 and refuses values out of range", () => {
  const ok = tensorFromProto({ dims: [2], dataType: DataType.INT64, rawData: int64Raw([-3n, 2147483647n]) }, "t");
  assert.deepEqual([ok.dtype, Array.from(ok.data)], ["int32", [-3, 2147483647]]);
  assert.throws(
    () => tensorFromProto({ dims: [1], dataType: DataType.INT64, int64Data: [2 ** 40] }, "big"),
    (e: Error) => e instanceof DTypeError && /does not fit in int32/.test(e.message),
  );
});

test("shape-like int64 values saturate when clamping is asked for (INT64_MAX as 'to the end')", () => {
  let clamped = false;
  const t = tensorFromProto({ dims: [2], dataType: DataType.INT64, rawData: int64Raw([9223372036854775807n, -9223372036854775808n]) }, "ends", {
    clampInt: true,
    onClamp: () => (clamped = true),
  });
  assert.deepEqual(Array.from(t.data), [2147483647, -2147483648]);
  assert.equal(clamped, true);
});

test("double becomes float32, float16 keeps its dtype, bool and uint8 stay bytes", () => {
  assert.deepEqual(Array.from(tensorFromProto({ dims: [1], dataType: DataType.DOUBLE, doubleData: [0.1] }, "d").data), [Math.fround(0.1)]);
  const half = tensorFromProto({ dims: [1], dataType: DataType.FLOAT16, int32Data: [0x3c00] }, "h");
  assert.deepEqual([half.dtype, Array.from(half.data)], ["float16", [1]]);
  assert.deepEqual(Array.from(tensorFromProto({ dims: [2], dataType: DataType.BOOL, int32Data: [1, 0] }, "b").data), [1, 0]);
  assert.equal(tensorFromProto({ dims: [1], dataType: DataType.INT8, int32Data: [-5] }, "i8").dtype, "int8");
});

test("float16 raw_data decodes every kind of value exactly: normal, subnormal, signed zero, Inf, NaN", () => {
  const bits = Uint16Array.of(0x3c00, 0xc155, 0x0001, 0x8000, 0x7bff, 0xfc00, 0x7e00);
  const { values } = tensorValues({ dims: [7], dataType: DataType.FLOAT16, rawData: new Uint8Array(bits.buffer) }, "h");
  assert.deepEqual(Array.from(values), [1, -2.666015625, 2 ** -24, -0, 65504, -Infinity, NaN]);
});

test("a data length that does not fill the shape is a FormatError", () => {
  assert.throws(() => tensorFromProto({ dims: [3], dataType: DataType.FLOAT, rawData: new Uint8Array(8) }, "w"), FormatError);
  assert.throws(() => tensorFromProto({ dims: [3], dataType: DataType.FLOAT, floatData: [1] }, "w"), FormatError);
  assert.throws(() => tensorFromProto({ dims: [-1], dataType: DataType.FLOAT }, "w"), FormatError);
});

test("external data is refused with a clear message", () => {
  assert.throws(
    () => tensorFromProto({ dims: [1], dataType: DataType.FLOAT, dataLocation: 1, externalData: [{ key: "location", value: "w.bin" }] }, "w"),
    (e: Error) => e instanceof FormatError && /external file/.test(e.message),
  );
});

test("strings and complex numbers are refused as unsupported dtypes", () => {
  assert.throws(() => tensorFromProto({ dims: [1], dataType: DataType.STRING }, "s"), DTypeError);
  assert.throws(() => tensorFromProto({ dims: [1], dataType: DataType.COMPLEX64 }, "c"), DTypeError);
});

test("tensorToProto round-trips values and writes int64 when asked", () => {
  const p = tensorToProto("x", { dtype: "int32", shape: [2], data: Int32Array.of(4, -1) }, { asInt64: true });
  assert.equal(p.dataType, DataType.INT64);
  assert.deepEqual(Array.from(tensorValues(p, "x").values), [4, -1]);
  const h = tensorToProto("h", { dtype: "float16", shape: [1], data: Float32Array.of(0.5) });
  assert.deepEqual(Array.from(tensorFromProto(h, "h").data), [0.5]);
});
