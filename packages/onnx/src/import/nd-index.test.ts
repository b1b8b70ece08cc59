import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

/** The masked update VITS's spline flows export: y = x; y[x > 0] = x[x > 0] * 2 (NonZero → GatherND → ScatterND). */
const maskedUpdate = buildModel({
  opset: 15,
  inputs: [{ name: "x", type: "float32", shape: [2, "n"] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Greater", inputs: ["x", "zero"], outputs: ["mask"] },
    { op: "NonZero", inputs: ["mask"], outputs: ["nz"] },
    { op: "Transpose", inputs: ["nz"], outputs: ["idx"], attrs: { perm: [1, 0] } },
    { op: "GatherND", inputs: ["x", "idx"], outputs: ["picked"] },
    { op: "Mul", inputs: ["picked", "two"], outputs: ["doubled"] },
    { op: "ScatterND", inputs: ["x", "idx", "doubled"], outputs: ["y"] },
  ],
  initializers: [initializer("zero", [0], []), initializer("two", [2], [])],
});

test("NonZero's data-dependent count is computed per run and feeds GatherND and ScatterND", { skip }, async () => {
  const session = await OnnxSession.create(maskedUpdate, { device: "cpu" });
  for (const x of [
    [1, -2, 3, -4, 5, -6],
    [-1, 2, 0.5, -3, 4, 0, -2, 7],
  ]) {
    const shape = [2, x.length / 2];
    const got = await session.run({ x: { data: Float32Array.from(x), shape } });
    await expectLikeOnnxruntime(maskedUpdate, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 0);
  }
  session.dispose();
});

test("GatherND picks slices by partial index tuples (negative indices count from the end)", { skip }, async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3, 2, 4] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "GatherND", inputs: ["x", "idx"], outputs: ["y"] }],
    initializers: [initializer("idx", [2, 1, 0, -1, -3, 0], [3, 2], "int64")],
  });
  const x = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 4);
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: x, shape: [3, 2, 4] } });
  assert.deepEqual(got.y!.shape, [3, 4]);
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [3, 2, 4], type: "float32" } }, got, 0);
});

test("ScatterND with reduction add accumulates into the data", { skip }, async () => {
  const model = buildModel({
    opset: 16,
    inputs: [
      { name: "x", type: "float32", shape: [4, 3] },
      { name: "u", type: "float32", shape: [2, 3] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "ScatterND", inputs: ["x", "idx", "u"], outputs: ["y"], attrs: { reduction: "add" } }],
    initializers: [initializer("idx", [3, 1], [2, 1], "int64")],
  });
  const x = Float32Array.from({ length: 12 }, (_, i) => i);
  const u = Float32Array.from({ length: 6 }, (_, i) => 10 * i + 1);
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: x, shape: [4, 3] }, u: { data: u, shape: [2, 3] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [4, 3], type: "float32" }, u: { data: u, shape: [2, 3], type: "float32" } }, got, 0);
});

test("ScatterND refuses updates of the wrong shape, naming both shapes", async () => {
  const model = buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: [4, 3] },
      { name: "u", type: "float32", shape: [2, 2] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "ScatterND", inputs: ["x", "idx", "u"], outputs: ["y"] }],
    initializers: [initializer("idx", [3, 1], [2, 1], "int64")],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  await assert.rejects(
    session.run({ x: { data: new Float32Array(12), shape: [4, 3] }, u: { data: new Float32Array(4), shape: [2, 2] } }),
    /updates must be \[2, 3\], got \[2, 2\]/,
  );
});

test("ScatterElements (reduction none, shared with ScatterND) replaces along an axis", { skip }, async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "ScatterElements", inputs: ["x", "idx", "u"], outputs: ["y"], attrs: { axis: 1 } }],
    initializers: [initializer("idx", [1, 0, 2, -3], [2, 2], "int64"), initializer("u", [1.5, -2, 3.25, 4], [2, 2])],
  });
  const x = Float32Array.from({ length: 9 }, (_, i) => i);
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: x, shape: [3, 3] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [3, 3], type: "float32" } }, got, 0);
});

test("GatherND with batch_dims pairs each batch of indices with its batch of data (negative indices, partial tuples)", { skip }, async () => {
  for (const { batchDims, xShape, idx, idxShape } of [
    { batchDims: 1, xShape: [3, 4, 2], idx: [1, -1, 3, 0, -4, 1, 2, 1, 0, 0, -1, 1], idxShape: [3, 2, 2] },
    { batchDims: 1, xShape: [2, 5, 3], idx: [4, 0, -2, 1, 3, 2], idxShape: [2, 3, 1] },
    { batchDims: 2, xShape: [2, 3, 4, 2], idx: [3, -1, 0, 2, 1, 1, -4, 0, 2, 2, 3, 3], idxShape: [2, 3, 2, 1] },
  ]) {
    const model = buildModel({
      opset: 13,
      inputs: [
        { name: "x", type: "float32", shape: xShape },
        { name: "idx", type: "int64", shape: idxShape },
      ],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: "GatherND", inputs: ["x", "idx"], outputs: ["y"], attrs: { batch_dims: batchDims } }],
    });
    const n = xShape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => i * 0.25 - 3);
    for (const device of ["cpu", "npu-sim"]) {
      const session = await OnnxSession.create(model, { device });
      const got = await session.run({ x: { data: x, shape: xShape }, idx: { data: Int32Array.from(idx), shape: idxShape } });
      session.dispose();
      const feeds = {
        x: { data: x, shape: xShape, type: "float32" as const },
        idx: { data: BigInt64Array.from(idx, BigInt), shape: idxShape, type: "int64" as const },
      };
      await expectLikeOnnxruntime(model, feeds, got, 0);
    }
  }
});

test("GatherND refuses batch_dims whose dims data and indices do not share", async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3, 4] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "GatherND", inputs: ["x", "idx"], outputs: ["y"], attrs: { batch_dims: 1 } }],
    initializers: [initializer("idx", [1, 2], [2, 1], "int64")],
  });
  await assert.rejects(
    OnnxSession.create(model, { device: "cpu" }).then((s) => s.run({ x: { data: new Float32Array(12), shape: [3, 4] } })),
    /batch_dims 1.*\[3, 4\].*\[2, 1\]/,
  );
});

test("GatherND and ScatterND refuse an index tuple with a component outside its dim instead of reading another row", async () => {
  for (const op of ["GatherND", "ScatterND"]) {
    const model = buildModel({
      opset: 13,
      inputs: [
        { name: "x", type: "float32", shape: [3, 4] },
        { name: "idx", type: "int64", shape: [1, 2] },
      ],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op, inputs: op === "GatherND" ? ["x", "idx"] : ["x", "idx", "u"], outputs: ["y"] }],
      initializers: [initializer("u", [9], [1])],
    });
    const session = await OnnxSession.create(model, { device: "cpu" });
    const x = { data: Float32Array.from({ length: 12 }, (_, i) => i), shape: [3, 4] };
    // [0, 5] would be element 5 of the flattened data (row 1, column 1) without the check.
    await assert.rejects(session.run({ x, idx: { data: Int32Array.from([0, 5]), shape: [1, 2], dtype: "int32" } }), /index -1 is out of range/, op);
    const ok = await session.run({ x, idx: { data: Int32Array.from([2, -1]), shape: [1, 2], dtype: "int32" } });
    assert.deepEqual(Array.from(ok.y!.data).slice(0, 1), op === "GatherND" ? [11] : [0], op);
    session.dispose();
  }
});
