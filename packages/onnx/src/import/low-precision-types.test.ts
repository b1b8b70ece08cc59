import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { compareTensors, DEFAULT_TOLERANCE } from "../conformance/compare.ts";
import { DataType } from "../proto/types.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";

/** The importer keeps ONNX's low-precision types through ops: rounding, ranges and reported types follow the ONNX type, not the holding dtype. */

async function runOnce(model: Uint8Array, feeds: Record<string, { data: Float32Array; shape: number[] }>) {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    return { got: await session.run(feeds), types: session.outputTypes };
  } finally {
    session.dispose();
  }
}

test("arithmetic on BFLOAT16 values rounds each result to bfloat16 (ties to even), not float32", async () => {
  const model = buildModel({
    opset: 21,
    inputs: [
      { name: "a", type: DataType.BFLOAT16, shape: [3] },
      { name: "b", type: DataType.BFLOAT16, shape: [3] },
    ],
    outputs: [{ name: "y", type: DataType.BFLOAT16 }],
    nodes: [
      { op: "Add", inputs: ["a", "b"], outputs: ["s"] },
      { op: "Mul", inputs: ["s", "s"], outputs: ["y"] },
    ],
  });
  // 1 + 2^-8 is halfway between bfloat16 neighbours 1 and 1 + 2^-7: even is 1, and 1·1 = 1.
  // 1 + 3·2^-8 rounds up to 1 + 2^-6; squared, 1.031494140625 rounds to 1.03125.
  const a = Float32Array.from([1, 1, 3]);
  const b = Float32Array.from([2 ** -8, 3 * 2 ** -8, 0.0078125]);
  const { got, types } = await runOnce(model, { a: { data: a, shape: [3] }, b: { data: b, shape: [3] } });
  assert.equal(types.y, "BFLOAT16");
  assert.deepEqual(Array.from(got.y!.data), [1, 1.03125, 9]);
});

test("QuantizeLinear to an INT4 zero point saturates at [-8, 7] although int8 holds the result", async () => {
  const zp = { name: "zp", dims: [], dataType: DataType.INT4, rawData: Uint8Array.of(0x01) };
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: "float32", shape: [5] }],
    outputs: [{ name: "q", type: DataType.INT4 }],
    initializers: [initializer("s", [0.5], []), zp],
    nodes: [{ op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"] }],
  });
  const { got, types } = await runOnce(model, { x: { data: Float32Array.from([100, -100, 2.75, -4.75, 0.25]), shape: [5] } });
  assert.equal(types.q, "INT4");
  assert.equal(got.q!.dtype, "int8");
  // 5.5 → 6 (+1 = 7), −9.5 → −10 (+1 → −8), 0.5 → 0 (+1 = 1).
  assert.deepEqual(Array.from(got.q!.data), [7, -8, 7, -8, 1]);
});

test("Cast to INT4 and UINT4 rounds ties to even and wraps, as ONNX's int4 notes say", async () => {
  const x = Float32Array.from([2.5, -2.5, 0.5, 7.5, 8, -9, 1.5]);
  for (const [type, want] of [
    [DataType.INT4, [2, -2, 0, -8, -8, 7, 2]],
    [DataType.UINT4, [2, 14, 0, 8, 8, 7, 2]],
  ] as const) {
    const model = buildModel({
      opset: 21,
      inputs: [{ name: "x", type: "float32", shape: [7] }],
      outputs: [{ name: "q", type }],
      nodes: [{ op: "Cast", inputs: ["x"], outputs: ["q"], attrs: { to: type } }],
    });
    const { got } = await runOnce(model, { x: { data: x, shape: [7] } });
    assert.deepEqual(Array.from(got.q!.data), want);
  }
});

test("CastLike takes a BFLOAT16 target from its second input's ONNX type", async () => {
  const like = { name: "like", dims: [], dataType: DataType.BFLOAT16, int32Data: [0x3f80] };
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: DataType.BFLOAT16 }],
    initializers: [like],
    nodes: [{ op: "CastLike", inputs: ["x", "like"], outputs: ["y"] }],
  });
  const { got } = await runOnce(model, { x: { data: Float32Array.from([0.1, 3e38]), shape: [2] } });
  assert.deepEqual(Array.from(got.y!.data), [205 * 2 ** -11, 226 * 2 ** 120]);
});

test("the comparator refuses a held output that is not a value of the expected low-precision type", () => {
  const bf = compareTensors(
    { dtype: "float32", shape: [1], data: [0.1] },
    { dataType: DataType.BFLOAT16, dims: [1], values: [0.10009765625] },
    DEFAULT_TOLERANCE,
  );
  assert.equal(bf.ok, false);
  assert.match(bf.reason!, /0\.1 \(held in float32\) is not a BFLOAT16 value/);
  const int4 = compareTensors({ dtype: "int8", shape: [1], data: [9] }, { dataType: DataType.INT4, dims: [1], values: [-7] }, DEFAULT_TOLERANCE);
  assert.match(int4.reason!, /is not a INT4 value/);
  const fine = compareTensors(
    { dtype: "float32", shape: [2], data: [448, NaN] },
    { dataType: DataType.FLOAT8E4M3FN, dims: [2], values: [448, NaN] },
    DEFAULT_TOLERANCE,
  );
  assert.ok(fine.ok);
});

test("a feed for a BFLOAT16 input must hold bfloat16 values: a float32-precision one is a DTypeError", async () => {
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: DataType.BFLOAT16, shape: [2] }],
    outputs: [{ name: "y", type: DataType.BFLOAT16 }],
    nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"] }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    await assert.rejects(
      session.run({ x: { data: Float32Array.from([1, 0.1]), shape: [2] } }),
      /input 'x' is BFLOAT16: element 1 \(0\.10000000149011612\) is not a BFLOAT16 value/,
    );
    assert.deepEqual(Array.from((await session.run({ x: { data: Float32Array.from([-1, 205 * 2 ** -11]), shape: [2] } })).y!.data), [0, 205 * 2 ** -11]);
  } finally {
    session.dispose();
  }
});
