import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "./importer.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

/** y = Reshape(x, t) + c: the reshape's target is data (a graph input of this shape), c a constant of shape [3, 4]. */
const modelWith = (targetShape: (number | string)[]) =>
  buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: ["n"] },
      { name: "t", type: "int64", shape: targetShape },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Reshape", inputs: ["x", "t"], outputs: ["r"], name: "reshape" },
      { op: "Add", inputs: ["r", "c"], outputs: ["y"], name: "add" },
    ],
    initializers: [
      initializer(
        "c",
        Array.from({ length: 12 }, (_, i) => i * 0.25 - 1),
        [3, 4],
      ),
    ],
  });
const model = modelWith(["rank"]);

const feeds = (n: number, target: number[]) => {
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
  return {
    ours: { x: { data: x, shape: [n] }, t: { data: target, shape: [target.length], dtype: "int32" as const } },
    ort: {
      x: { data: x, shape: [n], type: "float32" as const },
      t: { data: BigInt64Array.from(target.map(BigInt)), shape: [target.length], type: "int64" as const },
    },
  };
};

test("a reshape target read from a graph input is computed per run, so its dims meet a constant's", { skip }, async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    for (const [n, target] of [
      [12, [3, 4]],
      [24, [2, 3, -1]],
      [12, [-1, 4]],
    ] as const) {
      const f = feeds(n, [...target]);
      const got = await session.run(f.ours);
      assert.deepEqual(got.y!.shape, n === 12 ? [3, 4] : [2, 3, 4]);
      await expectLikeOnnxruntime(model, f.ort, got);
    }
  } finally {
    session.dispose();
  }
});

test("a run-time reshape target that disagrees with the other operand stops with a ShapeError naming the node and dims", async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    await assert.rejects(
      session.run(feeds(12, [4, 3]).ours),
      (e: Error) =>
        e.name === "ShapeError" && /'add'/.test(e.message) && /\[4, 3\]/.test(e.message) && /\[3, 4\]/.test(e.message) && /dim 0: 4 vs 3/.test(e.message),
    );
  } finally {
    session.dispose();
  }
});

test("without OnnxSession the import says which reshape reads its target from data, and suggests OnnxSession", () => {
  // A target of unknown length: the reshape itself cannot tell its rank.
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e.name === "ShapeError" && /'reshape'/.test(e.message) && /'t' \(a graph input\)/.test(e.message) && /OnnxSession/.test(e.message),
  );
  // A target of two dims: the add meets two unknown dims and says where they come from.
  assert.throws(
    () => importOnnx(modelWith([2])),
    (e: Error) =>
      e.name === "ShapeError" &&
      /^ONNX node 'add'/.test(e.message) &&
      /\?\d+ is ONNX node 'reshape' \(Reshape, opset 13\): dim 0, read from a target computed at run time: 't' \(a graph input\)/.test(e.message) &&
      /OnnxSession binds the input shapes and computes such values per run/.test(e.message),
  );
});

test("a reshape target the model computes from data (not a graph input) is computed per run too", { skip }, async () => {
  const computed = buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: ["n"] },
      { name: "t", type: "int64", shape: [2] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Mul", inputs: ["t", "one"], outputs: ["target"] },
      { op: "Reshape", inputs: ["x", "target"], outputs: ["r"], name: "reshape" },
      { op: "Add", inputs: ["r", "c"], outputs: ["y"], name: "add" },
    ],
    initializers: [initializer("one", [1], [], "int64"), initializer("c", [1, 2, 3, 4], [4])],
  });
  const session = await OnnxSession.create(computed, { device: "cpu" });
  try {
    for (const [n, target] of [
      [12, [3, 4]],
      [8, [-1, 4]],
    ] as const) {
      const f = feeds(n, [...target]);
      const got = await session.run(f.ours);
      assert.deepEqual(got.y!.shape, [n / 4, 4]);
      await expectLikeOnnxruntime(computed, f.ort, got);
    }
  } finally {
    session.dispose();
  }
});
