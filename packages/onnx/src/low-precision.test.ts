import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError } from "@polychip/hal";
import { decodeElement, isValueOf, MINI_FLOATS, roundToMiniFloat } from "./low-precision.ts";
import { DataType } from "./proto/types.ts";
import { tensorFromProto, tensorValues } from "./tensor.ts";

test("float8, float4 and e8m0 codes decode to ONNX's values at the ends and specials", () => {
  const cases: [number, number, number][] = [
    [DataType.FLOAT8E4M3FN, 0x7e, 448],
    [DataType.FLOAT8E4M3FN, 0xfe, -448],
    [DataType.FLOAT8E4M3FN, 0x7f, NaN],
    [DataType.FLOAT8E4M3FN, 0x01, 2 ** -9],
    [DataType.FLOAT8E4M3FN, 0x80, -0],
    [DataType.FLOAT8E4M3FNUZ, 0x7f, 240],
    [DataType.FLOAT8E4M3FNUZ, 0x80, NaN],
    [DataType.FLOAT8E4M3FNUZ, 0x01, 2 ** -10],
    [DataType.FLOAT8E5M2, 0x7b, 57344],
    [DataType.FLOAT8E5M2, 0x7c, Infinity],
    [DataType.FLOAT8E5M2, 0xfc, -Infinity],
    [DataType.FLOAT8E5M2, 0x7d, NaN],
    [DataType.FLOAT8E5M2, 0x01, 2 ** -16],
    [DataType.FLOAT8E5M2FNUZ, 0x7f, 57344],
    [DataType.FLOAT8E5M2FNUZ, 0x80, NaN],
    [DataType.FLOAT8E5M2FNUZ, 0x01, 2 ** -17],
    [DataType.FLOAT4E2M1, 0x7, 6],
    [DataType.FLOAT4E2M1, 0xf, -6],
    [DataType.FLOAT4E2M1, 0x1, 0.5],
    [DataType.FLOAT8E8M0, 0x00, 2 ** -127],
    [DataType.FLOAT8E8M0, 0x7f, 1],
    [DataType.FLOAT8E8M0, 0xfe, 2 ** 127],
    [DataType.FLOAT8E8M0, 0xff, NaN],
    [DataType.BFLOAT16, 0x3f80, 1],
    [DataType.BFLOAT16, 0x3f81, 1 + 2 ** -7],
    [DataType.INT4, 0x8, -8],
    [DataType.INT2, 0x3, -1],
    [DataType.UINT2, 0x3, 3],
  ];
  for (const [type, bits, value] of cases)
    assert.ok(Object.is(decodeElement(type, bits), value), `type ${type} bits ${bits.toString(16)}: ${decodeElement(type, bits)}`);
});

test("every finite code of each mini-float is a fixed point of its rounding (the grids agree)", () => {
  for (const [code, format] of Object.entries(MINI_FLOATS)) {
    const count = Number(code) === DataType.BFLOAT16 ? 65536 : Number(code) === DataType.FLOAT4E2M1 ? 16 : 256;
    for (let bits = 0; bits < count; bits++) {
      const v = decodeElement(Number(code), bits);
      if (!Number.isFinite(v)) continue;
      assert.ok(Object.is(roundToMiniFloat(v, format!, true), format!.unsignedZero && Object.is(v, -0) ? 0 : v), `type ${code} bits ${bits}: ${v}`);
      assert.ok(isValueOf(Number(code), v));
    }
  }
});

test("host rounding ties to even, saturates, and overflows per format", () => {
  const e4m3 = MINI_FLOATS[DataType.FLOAT8E4M3FN]!;
  const e5m2 = MINI_FLOATS[DataType.FLOAT8E5M2]!;
  assert.equal(roundToMiniFloat(1.0625, e4m3, true), 1); // halfway between 1 and 1.125
  assert.equal(roundToMiniFloat(1.1875, e4m3, true), 1.25);
  assert.equal(roundToMiniFloat(464, e4m3, false), 448); // halfway to the would-be 480: to even
  assert.ok(Number.isNaN(roundToMiniFloat(465, e4m3, false)));
  assert.equal(roundToMiniFloat(465, e4m3, true), 448);
  assert.equal(roundToMiniFloat(61440, e5m2, false), Infinity);
  assert.equal(roundToMiniFloat(-Infinity, e5m2, true), -57344);
  assert.ok(!isValueOf(DataType.BFLOAT16, 0.1));
  assert.ok(!isValueOf(DataType.INT4, 8));
});

test("packed INT4 and UINT2 tensors unpack low bits first, in raw_data and int32_data", () => {
  assert.deepEqual(Array.from(tensorValues({ dims: [3], dataType: DataType.INT4, rawData: Uint8Array.of(0x87, 0x0f) }, "t").values), [7, -8, -1]);
  assert.deepEqual(Array.from(tensorValues({ dims: [5], dataType: DataType.UINT2, int32Data: [0b11100100, 0b10] }, "t").values), [0, 1, 2, 3, 2]);
  const held = tensorFromProto({ dims: [3], dataType: DataType.INT4, rawData: Uint8Array.of(0x87, 0x0f) }, "t");
  assert.equal(held.dtype, "int8");
  assert.deepEqual(Array.from(held.data), [7, -8, -1]);
});

test("float8 tensors decode from raw_data and int32_data into float32", () => {
  const raw = tensorFromProto({ dims: [3], dataType: DataType.FLOAT8E5M2, rawData: Uint8Array.of(0x3c, 0x7c, 0x83) }, "t");
  assert.equal(raw.dtype, "float32");
  assert.deepEqual(Array.from(raw.data), [1, Infinity, -3 * 2 ** -16]);
  assert.deepEqual(Array.from(tensorFromProto({ dims: [2], dataType: DataType.FLOAT8E4M3FN, int32Data: [0x38, 0xc0] }, "t").data), [1, -2]);
});

test("a packed tensor with the wrong byte count is a FormatError naming the type and the bytes it needs", () => {
  assert.throws(
    () => tensorFromProto({ dims: [3], dataType: DataType.INT4, rawData: Uint8Array.of(0x87) }, "initializer 'w'"),
    (err: unknown) => err instanceof FormatError && /initializer 'w'.*1 bytes.*\[3\] of INT4 packs into 2 bytes/.test(err.message),
  );
  assert.throws(
    () => tensorFromProto({ dims: [4], dataType: DataType.UINT2, rawData: Uint8Array.of(1, 2) }, "t"),
    (err: unknown) => err instanceof FormatError && /UINT2 packs into 1 bytes/.test(err.message),
  );
});
