import assert from "node:assert/strict";
import { test } from "node:test";
import { UnsupportedOpError } from "@polychip/hal";
import { execute, type Graph } from "@polychip/engine/runtime";
import { decodeModel } from "../proto/codec.ts";
import { importOnnx } from "../import/importer.ts";
import { randomImages, tracedFashionModel } from "../testing/fashion-models.ts";
import { exportOnnx } from "./exporter.ts";

async function outputs(graph: Graph, images: Float32Array, n: number): Promise<Float32Array> {
  const out = await execute(graph, { input: { data: images, shape: [n, 1, 28, 28] } }, { device: "cpu" });
  return out.output!.data as Float32Array;
}

for (const kind of ["mlp", "cnn"] as const) {
  test(`import(export(${kind})) gives bit-identical outputs on cpu`, async () => {
    const graph = await tracedFashionModel(kind);
    const back = importOnnx(exportOnnx(graph));
    assert.deepEqual(back.inputs[0]!.shape, ["batch", 1, 28, 28]);
    const images = randomImages(16, 3);
    const a = await outputs(graph, images, 16);
    const b = await outputs(back, images, 16);
    assert.equal(a.length, 16 * 10);
    assert.deepEqual(Array.from(b), Array.from(a));
  });
}

test("export writes opset 17, keeps the dynamic batch as a dim_param and the weights as initializers", async () => {
  const graph = await tracedFashionModel("mlp");
  const model = decodeModel(exportOnnx(graph));
  assert.equal(Number(model.opsetImport![0]!.version), 17);
  const dims = model.graph!.input![0]!.type!.tensorType!.shape!.dim!;
  assert.equal(dims[0]!.dimParam, "batch");
  const written = new Set(model.graph!.initializer!.map((t) => t.name));
  for (const init of graph.initializers) assert.ok(written.has(init.name), `initializer ${init.name} missing`);
  assert.deepEqual(
    model.graph!.node!.map((n) => n.opType),
    ["Reshape", "Gemm", "Add", "Relu", "Gemm", "Add"],
  );
});

test("ops without an ONNX counterpart are refused with UnsupportedOpError", () => {
  const graph: Graph = {
    name: "g",
    inputs: [],
    outputs: [{ name: "r", dtype: "float32", shape: [2] }],
    nodes: [{ op: "randomUniform", inputs: [], outputs: ["r"], attrs: { shape: [2], seed: 1 } }],
    initializers: [],
  };
  assert.throws(
    () => exportOnnx(graph),
    (e: Error) => e instanceof UnsupportedOpError && /randomUniform/.test(e.message),
  );
});
