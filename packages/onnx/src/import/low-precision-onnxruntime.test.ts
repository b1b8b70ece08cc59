import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { DataType, type TensorProto } from "../proto/types.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * Casts to and from float8 and e8m0, float8 QuantizeLinear, and int4/uint4 QuantizeLinear/DequantizeLinear (opset 21) against
 * onnxruntime-node, on values ONNX's node tests leave out: ties at every binade, the saturation
 * limits and just past them, NaN, ±Inf, −0, subnormals, and odd element counts for packed types.
 * onnxruntime's JS API has no float8/int4 tensors, so each model casts back to float32 or int8.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const DEVICES = ["cpu", "npu-sim"];

const FLOAT8 = [
  ["FLOAT8E4M3FN", DataType.FLOAT8E4M3FN, 448, 2 ** -9],
  ["FLOAT8E4M3FNUZ", DataType.FLOAT8E4M3FNUZ, 240, 2 ** -10],
  ["FLOAT8E5M2", DataType.FLOAT8E5M2, 57344, 2 ** -16],
  ["FLOAT8E5M2FNUZ", DataType.FLOAT8E5M2FNUZ, 57344, 2 ** -17],
] as const;

/** Values around a format's limits and grid: ties between neighbours, ±max and past it, specials, subnormals. */
function probes(max: number, smallest: number): Float32Array {
  const values = [0, -0, NaN, Infinity, -Infinity, max, -max, max * 1.03, max * 1.07, -max * 1.07, max * 4, 1e30, -1e30];
  values.push(smallest, smallest / 2, smallest * 1.5, smallest * 2.5, -smallest * 0.5, -smallest * 0.49, smallest * 0.51);
  for (let e = -8; e <= 8; e++) for (const m of [1.0625, 1.125, 1.1875, 1.3125, 1.4375, 1.5625, 1.9375, 1.96875]) values.push(m * 2 ** e, -m * 2 ** e);
  for (let i = 0; i < 40; i++) values.push(Math.sin(i * 7.1) * 3 ** (i % 9));
  return Float32Array.from(values);
}

async function run(model: Uint8Array, feeds: Record<string, Float32Array>, device: string) {
  const session = await OnnxSession.create(model, { device });
  try {
    return await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, { data: v, shape: [v.length] }])));
  } finally {
    session.dispose();
  }
}

async function oracle(model: Uint8Array, feeds: Record<string, Float32Array>) {
  const session = await ort!.InferenceSession.create(model);
  try {
    return await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort!.Tensor("float32", v, [v.length])])));
  } finally {
    await session.release();
  }
}

/** Equal element for element, NaN to NaN and −0 to −0. */
function assertSame(got: ArrayLike<number>, want: ArrayLike<number | bigint>, inputs: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const w = Number(want[i]!);
    assert.ok(
      Object.is(got[i], w),
      `${what}[${i}] (input ${inputs[i]}): polychip ${Object.is(got[i], -0) ? "-0" : got[i]}, onnxruntime ${Object.is(w, -0) ? "-0" : w}`,
    );
  }
}

for (const [name, type, max, smallest] of FLOAT8) {
  for (const saturate of [1, 0]) {
    test(`Cast float32 → ${name} → float32 (saturate=${saturate}) equals onnxruntime`, { skip }, async () => {
      const x = probes(max, smallest);
      const nodes: NodeSpec[] = [
        { op: "Cast", inputs: ["x"], outputs: ["q"], attrs: { to: type, saturate } },
        { op: "Cast", inputs: ["q"], outputs: ["y"], attrs: { to: DataType.FLOAT } },
      ];
      const model = buildModel({ opset: 21, inputs: [{ name: "x", type: "float32", shape: [x.length] }], outputs: [{ name: "y", type: "float32" }], nodes });
      const want = await oracle(model, { x });
      for (const device of DEVICES) assertSame((await run(model, { x }, device)).y!.data, want.y!.data as Float32Array, x, `${device} y`);
    });
  }
}

test("a FLOAT8E4M3FN graph output is held in float32 and reported as FLOAT8E4M3FN", async () => {
  const x = Float32Array.from([0.3, 500, -17.5]);
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: "float32", shape: [3] }],
    outputs: [{ name: "q", type: DataType.FLOAT8E4M3FN }],
    nodes: [{ op: "Cast", inputs: ["x"], outputs: ["q"], attrs: { to: DataType.FLOAT8E4M3FN } }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run({ x: { data: x, shape: [3] } });
  assert.deepEqual(session.outputTypes, { q: "FLOAT8E4M3FN" });
  assert.equal(got.q!.dtype, "float32");
  assert.deepEqual(Array.from(got.q!.data), [0.3125, 448, -18]);
  session.dispose();
});

/** A packed 4-bit initializer (two elements a byte, the first in the low nibble). */
function packed4(name: string, values: number[], type: number): TensorProto {
  const bytes = new Uint8Array(Math.ceil(values.length / 2));
  values.forEach((v, i) => (bytes[i >> 1]! |= (v & 0x0f) << ((i & 1) * 4)));
  return { name, dims: [values.length], dataType: type, rawData: bytes };
}

for (const [name, type, zeros] of [
  ["INT4", DataType.INT4, [-3, 0, 5]],
  ["UINT4", DataType.UINT4, [8, 0, 15]],
] as const) {
  test(`blocked QuantizeLinear to ${name} (odd sizes, ties, saturation) and DequantizeLinear equal onnxruntime`, { skip }, async () => {
    // 7 elements in blocks of 3 (a short last block), 3 zero points: both packed tensors have odd counts.
    const x = Float32Array.from([0.25, -0.75, 1.25, 9.9, -9.9, 2.5, -2.5]);
    const scale = Float32Array.from([0.5, 0.25, 1]);
    const attrs = { axis: 0, block_size: 3 };
    const model = buildModel({
      opset: 21,
      inputs: [
        { name: "x", type: "float32", shape: [7] },
        { name: "s", type: "float32", shape: [3] },
      ],
      outputs: [
        { name: "q8", type: "int8" },
        { name: "y", type: "float32" },
      ],
      initializers: [packed4("zp", [...zeros], type)],
      nodes: [
        { op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"], attrs },
        { op: "Cast", inputs: ["q"], outputs: ["q8"], attrs: { to: DataType.INT8 } },
        { op: "DequantizeLinear", inputs: ["q", "s", "zp"], outputs: ["y"], attrs },
      ],
    });
    const want = await oracle(model, { x, s: scale });
    for (const device of DEVICES) {
      const got = await run(model, { x, s: scale }, device);
      assertSame(got.q8!.data, want.q8!.data as Int8Array, x, `${device} q8`);
      assertSame(got.y!.data, want.y!.data as Float32Array, x, `${device} y`);
    }
  });
}

test("DequantizeLinear of an INT4 weight initializer with an odd element count equals onnxruntime", { skip }, async () => {
  const weights = [-8, 7, -1, 0, 3, -5, 6, 1, -2];
  const model = buildModel({
    opset: 21,
    inputs: [],
    outputs: [{ name: "y", type: "float32" }],
    initializers: [packed4("w", weights, DataType.INT4), initializer("s", [0.125], [])],
    nodes: [{ op: "DequantizeLinear", inputs: ["w", "s"], outputs: ["y"] }],
  });
  const want = await oracle(model, {});
  for (const device of DEVICES) assertSame((await run(model, {}, device)).y!.data, want.y!.data as Float32Array, weights, `${device} y`);
});

for (const roundMode of ["up", "nearest", "down"]) {
  for (const saturate of [1, 0]) {
    test(`Cast float32 → FLOAT8E8M0 (round_mode=${roundMode}, saturate=${saturate}) equals onnxruntime`, { skip }, async () => {
      // Powers of two and the points between them, float32 subnormals, zero, negatives, the ends and past them.
      const x = Float32Array.from([
        0,
        -0,
        -3,
        1,
        1.5,
        1.4999,
        1.25,
        3,
        0.75,
        6,
        2 ** -126,
        2 ** -127,
        1.5 * 2 ** -127,
        1.4 * 2 ** -127,
        2 ** -128,
        1e-45,
        2 ** 127,
        1.25 * 2 ** 127,
        1.5 * 2 ** 127,
        3e38,
        Infinity,
        -Infinity,
        NaN,
      ]);
      const nodes: NodeSpec[] = [
        { op: "Cast", inputs: ["x"], outputs: ["q"], attrs: { to: DataType.FLOAT8E8M0, round_mode: roundMode, saturate } },
        { op: "Cast", inputs: ["q"], outputs: ["y"], attrs: { to: DataType.FLOAT } },
      ];
      const model = buildModel({ opset: 25, inputs: [{ name: "x", type: "float32", shape: [x.length] }], outputs: [{ name: "y", type: "float32" }], nodes });
      const want = await oracle(model, { x });
      for (const device of DEVICES) assertSame((await run(model, { x }, device)).y!.data, want.y!.data as Float32Array, x, `${device} y`);
    });
  }
}

for (const [name, type, back] of [
  ["INT4", DataType.INT4, DataType.INT8],
  ["UINT4", DataType.UINT4, DataType.UINT8],
  ["INT2", DataType.INT2, DataType.INT8],
  ["UINT2", DataType.UINT2, DataType.UINT8],
] as const) {
  test(`Cast float32 → ${name} wraps out-of-range values as onnxruntime does`, { skip }, async () => {
    // No ties: onnxruntime rounds them away from zero, ONNX's int4 notes to even (see the next test).
    const x = Float32Array.from([0, 1, -1, 3.7, -3.7, 7, 8, -8, -9, 9, 15, 16, 17.2, -17.2, 100, -100, 0.4, -0.4]);
    const nodes: NodeSpec[] = [
      { op: "Cast", inputs: ["x"], outputs: ["q"], attrs: { to: type } },
      { op: "Cast", inputs: ["q"], outputs: ["y"], attrs: { to: back } },
    ];
    const model = buildModel({ opset: 25, inputs: [{ name: "x", type: "float32", shape: [x.length] }], outputs: [{ name: "y", type: back }], nodes });
    const want = await oracle(model, { x });
    for (const device of DEVICES) assertSame((await run(model, { x }, device)).y!.data, want.y!.data as Int8Array, x, `${device} y`);
  });
}

test("int4 weight-only quantisation (blocked INT4 weights and zero points → DequantizeLinear → MatMul) matches onnxruntime", { skip }, async () => {
  // W [6, 4] in blocks of 4 along K (a short last block): scales and zero points [2, 4], 24 and 8 packed nibbles.
  const weights = Array.from({ length: 24 }, (_, i) => ((i * 5 + 3) % 16) - 8);
  const zeros = [-1, 0, 2, -3, 1, -8, 7, 0];
  const scales = Array.from({ length: 8 }, (_, i) => 0.01 + i * 0.003);
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: "float32", shape: [3, 6] }],
    outputs: [{ name: "y", type: "float32" }],
    initializers: [
      { ...packed4("w", weights, DataType.INT4), dims: [6, 4] },
      { ...packed4("zp", zeros, DataType.INT4), dims: [2, 4] },
      initializer("s", scales, [2, 4]),
    ],
    nodes: [
      { op: "DequantizeLinear", inputs: ["w", "s", "zp"], outputs: ["wf"], attrs: { axis: 0, block_size: 4 } },
      { op: "MatMul", inputs: ["x", "wf"], outputs: ["y"] },
    ],
  });
  const x = Float32Array.from({ length: 18 }, (_, i) => Math.cos(i * 0.7) * 2);
  const session = await ort!.InferenceSession.create(model, { graphOptimizationLevel: "disabled" });
  const want = Array.from((await session.run({ x: new ort!.Tensor("float32", x, [3, 6]) })).y!.data as Float32Array);
  await session.release();
  for (const device of DEVICES) {
    const polychip = await OnnxSession.create(model, { device });
    const got = await polychip.run({ x: { data: x, shape: [3, 6] } });
    polychip.dispose();
    assert.deepEqual(got.y!.shape, [3, 4]);
    got.y!.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `${device} y[${i}]: polychip ${v}, onnxruntime ${want[i]}`));
  }
});

for (const [name, type, max, smallest] of FLOAT8) {
  for (const saturate of [1, 0]) {
    test(`QuantizeLinear per axis to ${name} (saturate=${saturate}) equals onnxruntime`, { skip }, async () => {
      const x = probes(max, smallest);
      const n = x.length - (x.length % 2);
      const feed = x.slice(0, n);
      // Two channels with scales 0.5 and 3: the quotient x / scale is what lands on the grid.
      const zero: TensorProto = { name: "zp", dims: [2], dataType: type, rawData: new Uint8Array(2) };
      const model = buildModel({
        opset: 21,
        inputs: [{ name: "x", type: "float32", shape: [2, n / 2] }],
        outputs: [{ name: "y", type: "float32" }],
        initializers: [initializer("s", [0.5, 3], [2]), zero],
        nodes: [
          { op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"], attrs: { axis: 0, saturate } },
          { op: "Cast", inputs: ["q"], outputs: ["y"], attrs: { to: DataType.FLOAT } },
        ],
      });
      const session = await ort!.InferenceSession.create(model);
      const want = (await session.run({ x: new ort!.Tensor("float32", feed, [2, n / 2]) })).y!.data as Float32Array;
      await session.release();
      for (const device of DEVICES) {
        const polychip = await OnnxSession.create(model, { device });
        const got = await polychip.run({ x: { data: feed, shape: [2, n / 2] } });
        polychip.dispose();
        assertSame(got.y!.data, want, feed, `${device} y`);
      }
    });
  }
}
