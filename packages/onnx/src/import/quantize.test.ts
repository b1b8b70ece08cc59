import { test } from "node:test";
import assert from "node:assert/strict";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";
import { bytes } from "../testing/integer-matmul-cases.ts";
import type { TensorProto } from "../proto/types.ts";

/** QuantizeLinear / DequantizeLinear / QLinearMatMul against onnxruntime-node: quantised values must be equal. */
const skip = ort ? false : "onnxruntime-node is not installed";
const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 5) * 0.25);

async function check(
  nodes: NodeSpec[],
  outputs: { name: string; type: "float32" | "uint8" | "int8" | "int32" }[],
  initializers: TensorProto[],
  opset = 13,
  atol = 1e-6,
): Promise<void> {
  const model = buildModel({ opset, inputs: [{ name: "x", type: "float32", shape: [2, 3, 4] }], outputs, nodes, initializers });
  const got = await runOnnx(model, { x: { data: x, shape: [2, 3, 4] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [2, 3, 4], type: "float32" } }, got, atol);
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

const convIntegerSetup = () => {
  const w = bytes(
    "w",
    Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => (i * 61 + 5) % 256),
    [4, 3, 3, 3],
  );
  const grouped = bytes(
    "wg",
    Array.from({ length: 3 * 1 * 2 * 2 }, (_, i) => (i * 37 + 11) % 256),
    [3, 1, 2, 2],
  );
  const nodes: NodeSpec[] = [
    { op: "Reshape", inputs: ["x", "nchw"], outputs: ["img"] },
    { op: "DynamicQuantizeLinear", inputs: ["img"], outputs: ["q", "qs", "qzp"] },
  ];
  const conv: NodeSpec = {
    op: "ConvInteger",
    inputs: ["q", "w", "qzp", "wzp"],
    outputs: ["y"],
    attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 1] },
  };
  return { nodes, conv, initializers: [initializer("nchw", [1, 3, 2, 4], [4], "int64"), w, grouped] };
};

test("ConvInteger after DynamicQuantizeLinear (uint8, stride, pads; groups without zero points) matches onnxruntime exactly", { skip }, async () => {
  const { nodes, conv, initializers } = convIntegerSetup();
  await check([...nodes, conv], [{ name: "y", type: "int32" }], [...initializers, bytes("wzp", [128], [])], 13, 0);
  await check([...nodes, { op: "ConvInteger", inputs: ["q", "wg"], outputs: ["y"], attrs: { group: 3 } }], [{ name: "y", type: "int32" }], initializers, 13, 0);
});

test("ConvInteger with one weight zero point per output channel equals, per channel, the per-tensor result with that channel's zero point", async () => {
  const { nodes, conv, initializers } = convIntegerSetup();
  const zps = [128, 120, 3, 250];
  const run = async (wzp: TensorProto) => {
    const model = buildModel({
      opset: 13,
      inputs: [{ name: "x", type: "float32", shape: [2, 3, 4] }],
      outputs: [{ name: "y", type: "int32" }],
      nodes: [...nodes, conv],
      initializers: [...initializers, wzp],
    });
    return (await runOnnx(model, { x: { data: x, shape: [2, 3, 4] } })).y!;
  };
  const perChannel = await run(bytes("wzp", zps, [4]));
  assert.deepEqual(perChannel.shape, [1, 4, 1, 4]);
  for (const [c, zp] of zps.entries()) {
    const perTensor = await run(bytes("wzp", [zp], []));
    const slice = (t: typeof perTensor) => Array.from(t.data as ArrayLike<number>).slice(c * 4, c * 4 + 4);
    assert.deepEqual(slice(perChannel), slice(perTensor), `output channel ${c}`);
  }
});
