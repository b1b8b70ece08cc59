import assert from "node:assert/strict";
import { test } from "node:test";
import { UnsupportedOpError } from "@polychip/hal";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

const signal = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 2.1) + (i % 3) * 0.05);

async function expectDftLikeOrt(opset: number, shape: number[], attrs: Record<string, number>, length?: number, axis?: number, atol = 2e-4) {
  const inputs = ["x", length === undefined ? "" : "len", ...(axis === undefined ? [] : ["axis"])];
  const inits = [
    ...(length === undefined ? [] : [initializer("len", [length], [], "int64")]),
    ...(axis === undefined ? [] : [initializer("axis", [axis], [], "int64")]),
  ];
  const model = buildModel({
    opset,
    inputs: [{ name: "x", type: "float32", shape }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "DFT", inputs, outputs: ["y"], attrs }],
    initializers: inits,
  });
  const data = signal(shape.reduce((a, b) => a * b, 1));
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data, shape } });
  await expectLikeOnnxruntime(model, { x: { data, shape, type: "float32" } }, got, atol);
}

test("DFT-17 zero-pads a real signal to a longer dft_length, one-sided", { skip }, async () => {
  await expectDftLikeOrt(17, [2, 10, 1], { onesided: 1 }, 16);
});

test("DFT-17 truncates a complex signal to a shorter dft_length", { skip }, async () => {
  await expectDftLikeOrt(17, [2, 12, 2], {}, 8);
});

test("DFT-17 inverse of a complex signal along axis 2 of a 4-D input", { skip }, async () => {
  await expectDftLikeOrt(17, [2, 3, 8, 2], { inverse: 1, axis: 2 });
});

test("DFT-20 reads the axis from its input (here the middle of three signal dims)", { skip }, async () => {
  await expectDftLikeOrt(20, [2, 5, 6, 3, 1], {}, undefined, 2);
});

test("DFT with a transform too long for an import-time matrix is refused, naming the limit", async () => {
  const model = buildModel({
    opset: 17,
    inputs: [{ name: "x", type: "float32", shape: [1, 8192, 2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "DFT", inputs: ["x"], outputs: ["y"] }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  await assert.rejects(session.run({ x: { data: new Float32Array(16384), shape: [1, 8192, 2] } }), (err: unknown) => {
    assert.ok(err instanceof UnsupportedOpError);
    assert.match((err as Error).message, /DFT.*8192 complex values.*over the 16777216 entries/);
    return true;
  });
});

test("STFT with a HannWindow, frame_length given and two-sided output matches onnxruntime", { skip }, async () => {
  const model = buildModel({
    opset: 17,
    inputs: [{ name: "x", type: "float32", shape: [2, 50, 1] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "HannWindow", inputs: ["wlen"], outputs: ["window"] },
      { op: "STFT", inputs: ["x", "step", "window", "wlen"], outputs: ["y"], attrs: { onesided: 0 } },
    ],
    initializers: [initializer("step", [7], [], "int64"), initializer("wlen", [12], [], "int64")],
  });
  const data = signal(100);
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data, shape: [2, 50, 1] } });
  assert.deepEqual(got.y!.shape, [2, 6, 12, 2]);
  await expectLikeOnnxruntime(model, { x: { data, shape: [2, 50, 1], type: "float32" } }, got, 2e-4);
});

function melModel(outputDatatype: number): Uint8Array {
  return buildModel({
    opset: 17,
    inputs: [{ name: "unused", type: "float32", shape: [1] }],
    outputs: [{ name: "mel", type: outputDatatype }],
    nodes: [{ op: "MelWeightMatrix", inputs: ["bins", "dft", "rate", "low", "high"], outputs: ["mel"], attrs: { output_datatype: outputDatatype } }],
    initializers: [
      initializer("bins", [8], [], "int64"),
      initializer("dft", [64], [], "int64"),
      initializer("rate", [16000], [], "int64"),
      initializer("low", [20], []),
      initializer("high", [7000], []),
    ],
  });
}

const unused = { unused: { data: new Float32Array(1), shape: [1] } };

test("MelWeightMatrix in float16 (output_datatype 10) holds its float32 values rounded", async () => {
  const wide = await (await OnnxSession.create(melModel(1), { device: "cpu" })).run(unused);
  const half = await (await OnnxSession.create(melModel(10), { device: "cpu" })).run(unused);
  assert.equal(half.mel!.dtype, "float16");
  assert.deepEqual(half.mel!.shape, [33, 8]);
  assert.ok(
    Array.from(wide.mel!.data).some((v) => v > 0 && v < 1),
    "filters should have sloped edges",
  );
  wide.mel!.data.forEach((v, i) => assert.ok(Math.abs(half.mel!.data[i]! - v) <= 1e-3, `mel[${i}]: ${half.mel!.data[i]} vs ${v}`));
});

test("BlackmanWindow, symmetric, as double (output_datatype 11) matches onnxruntime", { skip }, async () => {
  const model = buildModel({
    opset: 17,
    inputs: [{ name: "unused", type: "float32", shape: [1] }],
    outputs: [{ name: "window", type: 11 }],
    nodes: [{ op: "BlackmanWindow", inputs: ["wlen"], outputs: ["window"], attrs: { output_datatype: 11, periodic: 0 } }],
    initializers: [initializer("wlen", [9], [], "int64")],
  });
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run(unused);
  await expectLikeOnnxruntime(model, { unused: { ...unused.unused, type: "float32" } }, got, 1e-6);
});

test("DFT-20 refuses an axis that names the parts dim or holds no value, naming the node", async () => {
  for (const axis of [[-1], []]) {
    const model = buildModel({
      opset: 20,
      inputs: [{ name: "x", type: "float32", shape: [2, 8, 1] }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: "DFT", inputs: ["x", "", "axis"], outputs: ["y"] }],
      initializers: [initializer("axis", axis, axis.length ? [] : [0], "int64")],
    });
    const session = await OnnxSession.create(model, { device: "cpu" });
    await assert.rejects(
      session.run({ x: { data: new Float32Array(16), shape: [2, 8, 1] } }),
      /DFT, opset 20\): axis .* is out of range for input \[2, 8, 1\]/,
    );
  }
});
