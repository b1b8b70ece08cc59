import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import "@polychip/devices";
import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { removeDevice, useDevice } from "@polychip/engine";
import { execute } from "@polychip/engine/runtime";
import { importOnnx } from "./import/importer.ts";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer } from "./testing/model-builder.ts";

/** fixtures/dynamic-hw.onnx (scripts/make-dynamic-fixtures.py): stride-2 conv, Resize, GlobalAveragePool, Shape→Gather→Concat→Reshape, symbolic H and W. */
const DYNAMIC_HW = new Uint8Array(readFileSync(new URL("../fixtures/dynamic-hw.onnx", import.meta.url)));
const ort = await import("onnxruntime-node").catch(() => undefined);

const image = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const webgpu = await useDevice("webgpu").then(
  () => undefined,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

for (const device of ["cpu", "webgpu"]) {
  const skip = !ort ? "onnxruntime-node is not installed" : device === "webgpu" ? (webgpu ?? false) : false;
  test(`one session on ${device} runs a dynamic-H/W model at two input sizes, each matching onnxruntime-node`, { skip }, () => dynamicTwoSizes(device));
}

async function dynamicTwoSizes(device: string): Promise<void> {
  const session = await OnnxSession.create(DYNAMIC_HW, { device });
  const reference = await ort!.InferenceSession.create(DYNAMIC_HW);
  try {
    for (const shape of [
      [1, 3, 10, 14],
      [1, 3, 7, 9],
      [1, 3, 10, 14],
    ]) {
      const x = image(shape);
      const got = await session.run({ x: { data: x, shape } });
      const want = await reference.run({ x: new ort!.Tensor("float32", x, shape) });
      for (const name of ["y", "up"]) {
        assert.deepEqual(got[name]!.shape, [...want[name]!.dims], `${name} at ${shape}`);
        const diff = maxDiff(got[name]!.data, want[name]!.data as Float32Array);
        assert.ok(diff <= 1e-4, `${name} at [${shape}]: max |polychip − onnxruntime| = ${diff}`);
      }
    }
    assert.equal(session.planCount, 2, "one plan per input-shape signature, reused for a repeated shape");
  } finally {
    session.dispose();
    await reference.release();
  }
}

test("without input shapes, a lowering that needs sizes fails naming the node and the symbolic dims", () => {
  assert.throws(
    () => importOnnx(DYNAMIC_HW),
    (e: Error) => e instanceof UnsupportedOpError && /Resize.*static shape of 'act', which is \[1, 4, \?\d+, \?\d+\]/.test(e.message),
  );
});

test("an input size the model cannot take stops with an error naming the input or node, never a guessed run", async () => {
  const session = await OnnxSession.create(DYNAMIC_HW, { device: "cpu" });
  try {
    await assert.rejects(
      session.run({ x: { data: image([1, 4, 8, 8]), shape: [1, 4, 8, 8] } }),
      (e: Error) => e instanceof ShapeError && /'x' is declared \[1, 3, H, W\]/.test(e.message),
    );
  } finally {
    session.dispose();
  }
  // Reshape to [N, 5, -1] only fits when C·H·W divides by 5.
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [1, 2, "H", "W"] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Reshape", inputs: ["x", "target"], outputs: ["y"] }],
    initializers: [initializer("target", [1, 5, -1], [3], "int64")],
  });
  const reshaping = await OnnxSession.create(model, { device: "cpu" });
  try {
    assert.deepEqual((await reshaping.run({ x: { data: image([1, 2, 5, 3]), shape: [1, 2, 5, 3] } })).y!.shape, [1, 5, 6]);
    await assert.rejects(reshaping.run({ x: { data: image([1, 2, 2, 2]), shape: [1, 2, 2, 2] } }), (e: Error) =>
      /Reshape.*cannot reshape \[1, 2, 2, 2\] \(8 elements\) to \[1, 5, -1\]/.test(e.message),
    );
  } finally {
    reshaping.dispose();
  }
});

/** conv (stride 2) → Shape → Gather → Unsqueeze → Concat(…, -1) → Reshape, all on symbolic H and W. */
const shapeChain = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [1, 1, "H", "W"] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Conv", inputs: ["x", "w"], outputs: ["c"], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: "Shape", inputs: ["c"], outputs: ["s"] },
    { op: "Gather", inputs: ["s", "i2"], outputs: ["h"], attrs: { axis: 0 } },
    { op: "Unsqueeze", inputs: ["h", "axes0"], outputs: ["h1"] },
    { op: "Concat", inputs: ["one", "h1", "minus1"], outputs: ["target"], attrs: { axis: 0 } },
    { op: "Reshape", inputs: ["c", "target"], outputs: ["y"] },
  ],
  initializers: [
    initializer("w", [1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 3, 3]),
    initializer("i2", [2], [], "int64"),
    initializer("axes0", [0], [1], "int64"),
    initializer("one", [1], [1], "int64"),
    initializer("minus1", [-1], [1], "int64"),
  ],
});

test("a stride-2 conv of a symbolic dim is a symbol, so its Shape is computed at run time instead of folded", () => {
  const graph = importOnnx(shapeChain);
  const y = graph.outputs[0]!;
  assert.equal(y.shape.length, 3);
  // The target [1, h, -1] says 1 itself; h and what -1 leaves are the conv's symbols.
  assert.equal(y.shape[0], 1);
  assert.ok(
    y.shape.slice(1).every((d) => typeof d === "string"),
    `output dims ${JSON.stringify(y.shape)} must be symbols, not guessed sizes`,
  );
  assert.ok(
    graph.nodes.some((n) => n.op === "shape"),
    "the Shape node must stay in the graph",
  );
});

test("the unbound graph evaluates its shape subgraph with the run's sizes (and agrees with a bound plan)", async () => {
  const graph = importOnnx(shapeChain);
  const session = await OnnxSession.create(shapeChain, { device: "cpu" });
  try {
    for (const [h, w] of [
      [6, 8],
      [5, 3],
    ]) {
      const shape = [1, 1, h!, w!];
      const x = image(shape);
      const generic = (await execute(graph, { x: { data: x, shape } }, { device: "cpu" })).y!;
      const [oh, ow] = [Math.ceil(h! / 2), Math.ceil(w! / 2)];
      assert.deepEqual(generic.shape, [1, oh, ow]);
      // The kernel picks the window's top-left tap: x[2i-1, 2j-1] (0 in the padding).
      const expected = Array.from({ length: oh * ow }, (_, k) => {
        const [i, j] = [Math.floor(k / ow), k % ow];
        return i === 0 || j === 0 ? 0 : x[(2 * i - 1) * w! + 2 * j - 1]!;
      });
      assert.ok(maxDiff(generic.data, expected) < 1e-6);
      assert.deepEqual(Array.from((await session.run({ x: { data: x, shape } })).y!.data), Array.from(generic.data));
    }
  } finally {
    session.dispose();
  }
});
