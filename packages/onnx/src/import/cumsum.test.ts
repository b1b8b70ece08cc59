import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

for (const [exclusive, reverse] of [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
]) {
  for (const type of ["float32", "int64"] as const) {
    test(`CumSum along axis 1 of a [2, 7] ${type} (exclusive ${exclusive}, reverse ${reverse}) matches onnxruntime`, { skip }, async () => {
      const model = buildModel({
        opset: 14,
        inputs: [{ name: "x", type, shape: [2, 7] }],
        outputs: [{ name: "y", type }],
        nodes: [{ op: "CumSum", inputs: ["x", "axis"], outputs: ["y"], attrs: { exclusive, reverse } }],
        initializers: [initializer("axis", [-1], [], "int64")],
      });
      const values = Array.from({ length: 14 }, (_, i) => ((i * 7) % 11) - 4);
      const session = await OnnxSession.create(model, { device: "cpu" });
      const got = await session.run({
        x: {
          data: type === "int64" ? Int32Array.from(values) : Float32Array.from(values, (v) => v * 0.25),
          shape: [2, 7],
          dtype: type === "int64" ? "int32" : "float32",
        },
      });
      const feed = type === "int64" ? BigInt64Array.from(values, BigInt) : Float32Array.from(values, (v) => v * 0.25);
      await expectLikeOnnxruntime(model, { x: { data: feed, shape: [2, 7], type } }, got, 1e-6);
      session.dispose();
    });
  }
}
