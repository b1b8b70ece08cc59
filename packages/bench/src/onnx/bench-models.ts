import type { CnnParams, DenseParams } from "../models/params.ts";
import { buildOnnxModel, type OnnxInitializer } from "./model-builder.ts";

/** C = A·B with both operands as inputs "a" and "b", [n, n] each. */
export function matmulOnnx(n: number): Uint8Array {
  return buildOnnxModel({
    name: `matmul_${n}`,
    inputs: [
      { name: "a", shape: [n, n] },
      { name: "b", shape: [n, n] },
    ],
    outputs: [{ name: "c", shape: [n, n] }],
    nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["c"] }],
  });
}

export interface ConvShape {
  readonly batch: number;
  readonly channels: number;
  readonly size: number;
  readonly outChannels: number;
  readonly kernel: number;
}

/** Same-padded stride-1 conv, no bias: input "x" [n, c, h, w] (NCHW), weight as an initializer. */
export function conv2dOnnx(shape: ConvShape, weight: Float32Array): Uint8Array {
  const { batch, channels, size, outChannels, kernel } = shape;
  const pad = (kernel - 1) / 2;
  return buildOnnxModel({
    name: "conv2d",
    inputs: [{ name: "x", shape: [batch, channels, size, size] }],
    outputs: [{ name: "y", shape: [batch, outChannels, size, size] }],
    initializers: [{ name: "w", shape: [outChannels, channels, kernel, kernel], data: weight }],
    nodes: [{ op: "Conv", inputs: ["x", "w"], outputs: ["y"], attrs: { kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad], strides: [1, 1] } }],
  });
}

function inits(prefix: string, p: DenseParams): OnnxInitializer[] {
  return [
    { name: `${prefix}.weight`, shape: p.weight.shape, data: p.weight.data },
    { name: `${prefix}.bias`, shape: p.bias.shape, data: p.bias.data },
  ];
}

/** The Fashion-MNIST CNN as an inference graph: input "x" [batch, 1, 28, 28] → "logits" [batch, 10]. */
export function cnnOnnx(params: CnnParams, batch: number): Uint8Array {
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
  const pool = { kernel_shape: [2, 2], strides: [2, 2] };
  return buildOnnxModel({
    name: "cnn",
    inputs: [{ name: "x", shape: [batch, 1, 28, 28] }],
    outputs: [{ name: "logits", shape: [batch, 10] }],
    initializers: [...inits("conv1", params.conv1), ...inits("conv2", params.conv2), ...inits("fc1", params.fc1), ...inits("fc2", params.fc2)],
    nodes: [
      { op: "Conv", inputs: ["x", "conv1.weight", "conv1.bias"], outputs: ["c1"], attrs: conv },
      { op: "Relu", inputs: ["c1"], outputs: ["r1"] },
      { op: "MaxPool", inputs: ["r1"], outputs: ["p1"], attrs: pool },
      { op: "Conv", inputs: ["p1", "conv2.weight", "conv2.bias"], outputs: ["c2"], attrs: conv },
      { op: "Relu", inputs: ["c2"], outputs: ["r2"] },
      { op: "MaxPool", inputs: ["r2"], outputs: ["p2"], attrs: pool },
      { op: "Flatten", inputs: ["p2"], outputs: ["f"], attrs: { axis: 1 } },
      { op: "Gemm", inputs: ["f", "fc1.weight", "fc1.bias"], outputs: ["h"], attrs: { transB: 1 } },
      { op: "Relu", inputs: ["h"], outputs: ["hr"] },
      { op: "Gemm", inputs: ["hr", "fc2.weight", "fc2.bias"], outputs: ["logits"], attrs: { transB: 1 } },
    ],
  });
}
