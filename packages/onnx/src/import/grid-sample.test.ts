import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

/** A smooth-ish 2×3×5×6 image and a grid reaching well past [-1, 1], so every padding mode matters. */
const x = Float32Array.from({ length: 2 * 3 * 5 * 6 }, (_, i) => Math.sin(i * 0.37) * 3 + (i % 7) * 0.25);
const grid = Float32Array.from({ length: 2 * 4 * 7 * 2 }, (_, i) => Math.sin(i * 1.3 + 0.2) * 1.9);

function model(opset: number, attrs: Record<string, number | string>): Uint8Array {
  return buildModel({
    opset,
    inputs: [
      { name: "x", type: "float32", shape: [2, 3, 5, 6] },
      { name: "grid", type: "float32", shape: [2, 4, 7, 2] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "GridSample", inputs: ["x", "grid"], outputs: ["y"], attrs }],
  });
}

async function expectLikeOrt(bytes: Uint8Array): Promise<void> {
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  const got = await session.run({ x: { data: x, shape: [2, 3, 5, 6] }, grid: { data: grid, shape: [2, 4, 7, 2] } });
  session.dispose();
  await expectLikeOnnxruntime(
    bytes,
    { x: { data: x, shape: [2, 3, 5, 6], type: "float32" }, grid: { data: grid, shape: [2, 4, 7, 2], type: "float32" } },
    got,
    1e-4,
  );
}

for (const mode of ["bilinear", "nearest", "bicubic"]) {
  for (const padding of ["zeros", "border", "reflection"]) {
    for (const align of [0, 1]) {
      test(`GridSample-16 ${mode}, ${padding} padding, align_corners ${align} matches onnxruntime`, { skip }, async () => {
        await expectLikeOrt(model(16, { mode, padding_mode: padding, align_corners: align }));
      });
    }
  }
}

test("GridSample-20 reads the linear and cubic names of the modes", { skip }, async () => {
  await expectLikeOrt(model(20, { mode: "cubic", padding_mode: "reflection", align_corners: 0 }));
  await expectLikeOrt(model(20, { mode: "linear", padding_mode: "border", align_corners: 1 }));
});
