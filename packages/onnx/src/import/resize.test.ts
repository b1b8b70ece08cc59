import assert from "node:assert/strict";
import { test } from "node:test";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { rounded, runOnnx } from "../testing/run-model.ts";
import { importOnnx } from "./importer.ts";

const resizeModel = (mode: string, antialias = 0, scale = 2, shape = [1, 1, 2, 4]) =>
  buildModel({
    opset: 18,
    inputs: [{ name: "x", type: "float32", shape }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Resize", inputs: ["x", "", "scales"], outputs: ["y"], attrs: { mode, antialias } }],
    initializers: [initializer("scales", [1, 1, scale, scale], [4])],
  });

test("linear and cubic Resize gather their taps instead of multiplying by a dense [out, in] matrix", () => {
  for (const mode of ["linear", "cubic"]) {
    const ops = importOnnx(resizeModel(mode)).nodes.map((n) => n.op);
    assert.ok(!ops.includes("matmul"), `${mode}: ${ops.join(" ")}`);
    // Linear: rows at the two H taps, then each at the two W taps (onnxruntime's four corners); cubic: 4 taps per axis.
    assert.equal(ops.filter((op) => op === "gather").length, mode === "linear" ? 6 : 8, `${mode}: ${ops.join(" ")}`);
  }
  assert.ok(
    importOnnx(resizeModel("linear", 1, 0.25, [1, 1, 16, 16])).nodes.some((n) => n.op === "matmul"),
    "antialiased downscaling keeps the matmul",
  );
});

test("a 2x half-pixel linear upsample gives the interpolated values, edges clamped", async () => {
  const { y } = await runOnnx(resizeModel("linear"), { x: { data: [0, 4, 8, 12, 16, 20, 24, 28], shape: [1, 1, 2, 4] } });
  assert.deepEqual(y!.shape, [1, 1, 4, 8]);
  assert.deepEqual(rounded(y!.data as Float32Array).slice(0, 8), [0, 1, 3, 5, 7, 9, 11, 12]);
  assert.deepEqual(rounded(y!.data as Float32Array).slice(8, 16), [4, 5, 7, 9, 11, 13, 15, 16]);
});

test("a scale that keeps a dim's size still moves the sampling positions, as the specification says (onnxruntime copies)", async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Resize", inputs: ["x", "roi", "scales"], outputs: ["y"], attrs: { mode: "linear" } }],
    initializers: [initializer("roi", [], [0]), initializer("scales", [1.3, 1.3], [2])],
  });
  const { y } = await runOnnx(model, { x: { data: [0, 10, 20, 30, 40, 50], shape: [2, 3] } });
  assert.deepEqual(y!.shape, [2, 3]);
  // Half-pixel positions (x + 0.5) / 1.3 - 0.5: 0 (clamped from -0.115), 0.654 and 1.423 along each dim.
  const at = (x: number) => Math.max((x + 0.5) / 1.3 - 0.5, 0);
  const w = [0, 1, 2].map((x) => 10 * at(x));
  const h = 30 * at(1);
  assert.deepEqual(
    rounded(y!.data as Float32Array, 3),
    [...w, ...w.map((v) => v + h)].map((v) => Number(v.toFixed(3))),
  );
});

test("a rank-1 linear Resize (a layout onnxruntime refuses) interpolates its one axis", async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Resize", inputs: ["x", "roi", "scales"], outputs: ["y"], attrs: { mode: "linear" } }],
    initializers: [initializer("roi", [], [0]), initializer("scales", [2], [1])],
  });
  const { y } = await runOnnx(model, { x: { data: [0, 10, 20], shape: [3] } });
  assert.deepEqual(Array.from(y!.data), [0, 2.5, 7.5, 12.5, 17.5, 20]);
});
