import { tensorToProto } from "../tensor.ts";
import { buildModel, initializer, type NodeSpec } from "./model-builder.ts";

/**
 * A float model in QDQ form (QuantizeLinear → DequantizeLinear around each op, int8 weights
 * dequantised), as onnxruntime.quantization's quantize_static(quant_format=QDQ) writes one: a chain
 * of Conv, MaxPool, Conv, Relu, LeakyRelu, AveragePool, Add, Mul, Sigmoid, MatMul, ReduceMean, Where,
 * Transpose, Softmax, Concat, GlobalAveragePool, Resize and Tanh over x [1, 4, 8, 8] (4 × 4 after the MaxPool, 8 × 8 again after the Resize). onnxruntime's
 * optimiser fuses each QDQ group into its QLinear* operator (com.microsoft QLinearWhere among
 * them; at level "all" channels-last QLinearConv and NhwcMaxPool).
 */
export function qdqChainModel(): Uint8Array {
  const u8 = (name: string, v: number) => tensorToProto(name, { dtype: "uint8", shape: [], data: Uint8Array.of(v) });
  const initializers = [
    initializer("s", [0.05], []),
    u8("z", 128),
    initializer("ws", [0.01], []),
    tensorToProto("wz", { dtype: "int8", shape: [], data: Int8Array.of(0) }),
    tensorToProto("w", { dtype: "int8", shape: [4, 4, 3, 3], data: Int8Array.from({ length: 144 }, (_, i) => ((i * 7) % 50) - 25) }),
    tensorToProto("wm", { dtype: "int8", shape: [4, 4], data: Int8Array.from({ length: 16 }, (_, i) => ((i * 5) % 40) - 20) }),
    initializer("axes", [2, 3], [2], "int64"),
    initializer("sizes", [1, 4, 8, 8], [4], "int64"),
  ];
  const nodes: NodeSpec[] = [
    { op: "DequantizeLinear", inputs: ["w", "ws", "wz"], outputs: ["wf"] },
    { op: "DequantizeLinear", inputs: ["wm", "ws", "wz"], outputs: ["wmf"] },
  ];
  let n = 0;
  const op = (type: string, inputs: string[], attrs: NodeSpec["attrs"] = {}) => {
    const y = `${type}_${n++}`;
    nodes.push({ op: type, inputs, outputs: [y], attrs });
    return y;
  };
  const qdq = (x: string) => op("DequantizeLinear", [op("QuantizeLinear", [x, "s", "z"]), "s", "z"]);
  const x = qdq("x");
  const maxPooled = qdq(op("MaxPool", [qdq(op("Conv", [x, "wf"], { pads: [1, 1, 1, 1] }))], { kernel_shape: [2, 2], strides: [2, 2] }));
  const conv = qdq(op("Conv", [maxPooled, "wf"], { pads: [1, 1, 1, 1] }));
  const leaky = qdq(op("LeakyRelu", [qdq(op("Relu", [conv]))], { alpha: { float: 0.1 } }));
  const pooled = qdq(op("AveragePool", [leaky], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }));
  const sigmoid = qdq(op("Sigmoid", [qdq(op("Mul", [qdq(op("Add", [pooled, maxPooled])), maxPooled]))]));
  const product = qdq(op("MatMul", [sigmoid, "wmf"]));
  const mean = qdq(op("ReduceMean", [product, "axes"]));
  const chosen = qdq(op("Where", [op("Greater", [product, mean]), product, maxPooled]));
  const transposed = qdq(op("Transpose", [chosen], { perm: [0, 1, 3, 2] }));
  const joined = qdq(op("Concat", [qdq(op("Softmax", [transposed], { axis: -1 })), transposed], { axis: 1 }));
  nodes.push({ op: "GlobalAveragePool", inputs: [joined], outputs: ["pooled"] });
  nodes.push({ op: "Tanh", inputs: [qdq(op("Resize", [joined, "", "", "sizes"], { mode: "nearest" }))], outputs: ["resized"] });
  return buildModel({
    opset: 18,
    inputs: [{ name: "x", type: "float32", shape: [1, 4, 8, 8] }],
    outputs: [
      { name: "pooled", type: "float32" },
      { name: "resized", type: "float32" },
    ],
    nodes,
    initializers,
  });
}
