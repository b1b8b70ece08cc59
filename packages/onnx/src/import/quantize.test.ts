import { test } from "node:test";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";
import type { TensorProto } from "../proto/types.ts";

/** QuantizeLinear / DequantizeLinear / QLinearMatMul against onnxruntime-node: quantised values must be equal. */
const skip = ort ? false : "onnxruntime-node is not installed";
const bytes = (name: string, values: number[], shape: number[], signed = false): TensorProto => ({
  ...initializer(
    name,
    values.map((v) => (signed ? v & 255 : v)),
    shape,
    "bool",
  ),
  dataType: signed ? 3 : 2,
});
const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 5) * 0.25);

async function check(
  nodes: NodeSpec[],
  outputs: { name: string; type: "float32" | "uint8" | "int8" }[],
  initializers: TensorProto[],
  opset = 13,
): Promise<void> {
  const model = buildModel({ opset, inputs: [{ name: "x", type: "float32", shape: [2, 3, 4] }], outputs, nodes, initializers });
  const got = await runOnnx(model, { x: { data: x, shape: [2, 3, 4] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [2, 3, 4], type: "float32" } }, got, 1e-6);
}

test("QuantizeLinear and DequantizeLinear per tensor (uint8) and per axis (int8) match onnxruntime", { skip }, async () => {
  await check(
    [
      { op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"] },
      { op: "DequantizeLinear", inputs: ["q", "s", "zp"], outputs: ["y"] },
    ],
    [
      { name: "q", type: "uint8" },
      { name: "y", type: "float32" },
    ],
    [initializer("s", [0.037], []), bytes("zp", [117], [])],
  );
  await check(
    [
      { op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"], attrs: { axis: 1 } },
      { op: "DequantizeLinear", inputs: ["q", "s", "zp"], outputs: ["y"], attrs: { axis: 1 } },
    ],
    [
      { name: "q", type: "int8" },
      { name: "y", type: "float32" },
    ],
    [initializer("s", [0.02, 0.05, 0.011], [3]), bytes("zp", [-3, 0, 10], [3], true)],
  );
});

test("QLinearMatMul (uint8) matches onnxruntime", { skip }, async () => {
  const w = bytes(
    "w",
    Array.from({ length: 20 }, (_, i) => (i * 97 + 13) % 256),
    [4, 5],
  );
  await check(
    [
      { op: "QuantizeLinear", inputs: ["x", "xs", "xzp"], outputs: ["q"] },
      { op: "QLinearMatMul", inputs: ["q", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"], outputs: ["y"] },
    ],
    [{ name: "y", type: "uint8" }],
    [
      initializer("xs", [0.031], []),
      bytes("xzp", [128], []),
      w,
      initializer("ws", [0.0042], []),
      bytes("wzp", [131], []),
      initializer("ys", [0.019], []),
      bytes("yzp", [120], []),
    ],
  );
});

test("QLinearConv (uint8, per-channel weight scales and zero points, int32 bias, stride and pads) matches onnxruntime", { skip }, async () => {
  const w = bytes(
    "w",
    Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => (i * 61 + 5) % 256),
    [2, 3, 3, 3],
  );
  const bias = initializer("b", [250, -1200], [2], "int32");
  await check(
    [
      { op: "Reshape", inputs: ["x", "nchw"], outputs: ["img"] },
      { op: "QuantizeLinear", inputs: ["img", "xs", "xzp"], outputs: ["q"] },
      {
        op: "QLinearConv",
        inputs: ["q", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "b"],
        outputs: ["y"],
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 1] },
      },
    ],
    [{ name: "y", type: "uint8" }],
    [
      initializer("nchw", [1, 3, 2, 4], [4], "int64"),
      initializer("xs", [0.029], []),
      bytes("xzp", [126], []),
      w,
      initializer("ws", [0.0031, 0.0057], [2]),
      bytes("wzp", [128, 128], [2]),
      initializer("ys", [0.024], []),
      bytes("yzp", [119], []),
      bias,
    ],
  );
});
