import assert from "node:assert/strict";
import { test } from "node:test";
import { execute } from "@polychip/engine/runtime";
import { exportOnnx } from "./export/exporter.ts";
import { randomImages, tracedFashionModel } from "./testing/fashion-models.ts";
import { loadOnnxRuntime } from "./testing/onnxruntime.ts";

const ort = await loadOnnxRuntime();
const IMAGES = 256;
const TOLERANCE = 1e-4;

for (const kind of ["mlp", "cnn"] as const) {
  test(`exported ${kind} runs in onnxruntime-node within ${TOLERANCE} of Polychip on ${IMAGES} images`, {
    skip: ort ? false : "onnxruntime-node is not installed",
  }, async () => {
    const graph = await tracedFashionModel(kind);
    const images = randomImages(IMAGES, 11);
    const session = await ort!.InferenceSession.create(exportOnnx(graph));
    const expected = (await session.run({ input: new ort!.Tensor("float32", images, [IMAGES, 1, 28, 28]) })).output!;
    const got = (await execute(graph, { input: { data: images, shape: [IMAGES, 1, 28, 28] } }, { device: "cpu" })).output!;
    assert.deepEqual(got.shape, [...expected.dims]);
    const e = expected.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < e.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - e[i]!));
    console.log(`# ${kind}: max |onnxruntime − polychip| over ${IMAGES} images = ${maxDiff.toExponential(3)}`);
    assert.ok(maxDiff <= TOLERANCE, `max abs difference ${maxDiff} exceeds ${TOLERANCE}`);
    await session.release();
  });
}

/** Ops and opset versions the shared corpus does not cover, checked against onnxruntime. */
const LEGACY_CASES: { opset: number; op: string; attrs: Record<string, number | string | { float: number }>; shape: number[]; scales?: number[] }[] = [
  { opset: 11, op: "Softmax", attrs: { axis: 1 }, shape: [2, 3, 4] },
  { opset: 9, op: "LogSoftmax", attrs: {}, shape: [2, 3, 4] },
  { opset: 11, op: "Hardmax", attrs: { axis: 1 }, shape: [2, 3, 4] },
  { opset: 13, op: "LRN", attrs: { size: 3, alpha: { float: 0.01 }, beta: { float: 0.75 }, bias: { float: 1 } }, shape: [2, 5, 3, 3] },
  { opset: 9, op: "Upsample", attrs: { mode: "nearest" }, shape: [1, 1, 2, 3], scales: [1, 1, 2, 3] },
  { opset: 9, op: "Upsample", attrs: { mode: "linear" }, shape: [1, 1, 2, 3], scales: [1, 1, 2, 2] },
  { opset: 10, op: "Resize", attrs: { mode: "nearest" }, shape: [1, 1, 2, 3], scales: [1, 1, 3, 2] },
  { opset: 12, op: "DepthToSpace", attrs: { blocksize: 2, mode: "CRD" }, shape: [1, 8, 2, 3] },
  { opset: 12, op: "SpaceToDepth", attrs: { blocksize: 2 }, shape: [1, 2, 4, 6] },
];

test("ops and opsets outside the shared corpus agree with onnxruntime", { skip: ort ? false : "onnxruntime-node is not installed" }, async () => {
  const { buildModel, initializer } = await import("./testing/model-builder.ts");
  const { runOnnx } = await import("./testing/run-model.ts");
  for (const c of LEGACY_CASES) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3);
    const inputs = c.scales ? ["x", "s"] : ["x"];
    const bytes = buildModel({
      opset: c.opset,
      inputs: [{ name: "x", type: "float32", shape: c.shape }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: c.op, inputs, outputs: ["y"], attrs: c.attrs }],
      initializers: c.scales ? [initializer("s", c.scales, [4])] : [],
    });
    const session = await ort!.InferenceSession.create(bytes);
    const expected = (await session.run({ x: new ort!.Tensor("float32", data, c.shape) })).y!;
    const got = (await runOnnx(bytes, { x: { data, shape: c.shape } })).y!;
    assert.deepEqual(got.shape, [...expected.dims], `${c.op}-${c.opset} shape`);
    const e = expected.data as Float32Array;
    for (let i = 0; i < e.length; i++)
      assert.ok(Math.abs(got.data[i]! - e[i]!) <= 1e-5 + 1e-4 * Math.abs(e[i]!), `${c.op}-${c.opset} element ${i}: ${got.data[i]} vs ${e[i]}`);
    await session.release();
  }
});
