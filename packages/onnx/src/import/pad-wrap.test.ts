import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/** Pad mode "wrap" (opset 19) against onnxruntime-node: both ends, negative pads, axes, int32. */
const skip = ort ? false : "onnxruntime-node is not installed";

function wrapModel(shape: number[], type: "float32" | "int32", pads: number[], axes?: number[]) {
  return buildModel({
    opset: 19,
    inputs: [{ name: "x", type, shape }],
    outputs: [{ name: "y", type }],
    nodes: [{ op: "Pad", inputs: axes ? ["x", "pads", "", "axes"] : ["x", "pads"], outputs: ["y"], attrs: { mode: "wrap" } }],
    initializers: [initializer("pads", pads, [pads.length], "int64"), ...(axes ? [initializer("axes", axes, [axes.length], "int64")] : [])],
  });
}

const CASES = [
  { name: "2-D, both axes, both ends", shape: [3, 4], pads: [1, 2, 2, 3] },
  { name: "a pad as wide as the axis", shape: [2, 3], pads: [2, 0, 0, 3] },
  { name: "negative pads crop", shape: [4, 5], pads: [-1, 2, 1, -2] },
  { name: "3-D, axes given (negative axis)", shape: [2, 3, 4], pads: [1, 2, 0, 3], axes: [1, -1] },
];

for (const device of ["cpu", "npu-sim"]) {
  test(`Pad wrap on ${device} equals onnxruntime (both ends, wide pads, crops, axes)`, { skip }, async () => {
    for (const c of CASES) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: n }, (_, i) => i * 1.5 - 4);
      const model = wrapModel(c.shape, "float32", c.pads, c.axes);
      const session = await OnnxSession.create(model, { device });
      const got = await session.run({ x: { data: x, shape: c.shape } });
      session.dispose();
      await expectLikeOnnxruntime(model, { x: { data: x, shape: c.shape, type: "float32" } }, got, 0).catch((e: Error) =>
        assert.fail(`${c.name}: ${e.message}`),
      );
    }
  });
}

test("Pad wrap repeats an axis narrower than its pads, as numpy's wrap does (onnxruntime reads past the input there)", async () => {
  const x = Float32Array.from([-4, -2.5, -1, 0.5]);
  const got = await (await OnnxSession.create(wrapModel([2, 2], "float32", [3, 5, 4, 1]), { device: "cpu" })).run({ x: { data: x, shape: [2, 2] } });
  assert.deepEqual(got.y!.shape, [9, 8]);
  // np.pad(x, ((3, 4), (5, 1)), mode="wrap"): rows alternate x[1], x[0]; each row starts at column 1.
  const rows = [Array.from({ length: 8 }, (_, j) => [0.5, -1][j % 2]!), Array.from({ length: 8 }, (_, j) => [-2.5, -4][j % 2]!)];
  assert.deepEqual(Array.from(got.y!.data), Array.from({ length: 9 }, (_, i) => rows[i % 2]!).flat());
});

test("Pad wrap keeps int32 values", { skip }, async () => {
  const x = Int32Array.from([7, -3, 12, 0, 5, -9]);
  const model = wrapModel([2, 3], "int32", [0, 2, 1, 1]);
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: x, shape: [2, 3] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [2, 3], type: "int32" } }, got, 0);
});

test("Pad wrap refuses pads that crop an axis below nothing, naming the pads", async () => {
  const model = wrapModel([2, 3], "float32", [0, -2, 0, -2]);
  await assert.rejects(
    OnnxSession.create(model, { device: "cpu" }).then((s) => s.run({ x: { data: new Float32Array(6), shape: [2, 3] } })),
    /pads \[0, -2, 0, -2\]/,
  );
});
