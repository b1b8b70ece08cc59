import type { TensorProto } from "../proto/types.ts";
import { tensorToProto } from "../tensor.ts";
import { initializer, type NodeSpec } from "../testing/model-builder.ts";
import { blockModel, testOnEveryDevice, weightValues } from "./isnet-blocks-test-support.ts";

/**
 * The op pattern of the suite's int8 ISNet (real-models/models.json), which runs only on the cpu
 * at 1024×1024, at 32×32 on every device: before each convolution its input is quantised per run
 * (DynamicQuantizeLinear), convolved with uint8 weights and zero points (ConvInteger), cast back,
 * scaled by the product of the two scales and given its bias; then Relu, MaxPool with ceil_mode,
 * a bilinear Resize to the size of another tensor, Concat and Sigmoid.
 */

const initializers: TensorProto[] = [];

/** A quantised convolution as the int8 converter writes it, with uint8 weights (zero point 120 + seed) and a float bias. */
function quantizedConv(x: string, y: string, shape: number[], seed: number, strides = [1, 1]): NodeSpec[] {
  const w = weightValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
    1,
  );
  const zero = 120 + seed;
  initializers.push(
    tensorToProto(`${y}_w`, { dtype: "uint8", shape, data: Uint8Array.from(w, (v) => zero + Math.round(v * 100)) }),
    tensorToProto(`${y}_wzp`, { dtype: "uint8", shape: [], data: Uint8Array.of(zero) }),
    initializer(`${y}_wscale`, [0.006], []),
    initializer(`${y}_bias`, Array.from(weightValues(shape[0]!, seed + 9, 0.2)), [1, shape[0]!, 1, 1]),
  );
  return [
    { op: "DynamicQuantizeLinear", inputs: [x], outputs: [`${y}_q`, `${y}_s`, `${y}_zp`] },
    { op: "Mul", inputs: [`${y}_s`, `${y}_wscale`], outputs: [`${y}_scale`] },
    {
      op: "ConvInteger",
      inputs: [`${y}_q`, `${y}_w`, `${y}_zp`, `${y}_wzp`],
      outputs: [`${y}_int`],
      attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides },
    },
    { op: "Cast", inputs: [`${y}_int`], outputs: [`${y}_f`], attrs: { to: 1 } },
    { op: "Mul", inputs: [`${y}_f`, `${y}_scale`], outputs: [`${y}_scaled`] },
    { op: "Add", inputs: [`${y}_scaled`, `${y}_bias`], outputs: [y] },
  ];
}

const nodes: NodeSpec[] = [
  ...quantizedConv("x", "c1", [8, 3, 3, 3], 1, [2, 2]),
  { op: "Relu", inputs: ["c1"], outputs: ["r1"] },
  ...quantizedConv("r1", "c2", [8, 8, 3, 3], 2),
  { op: "Relu", inputs: ["c2"], outputs: ["r2"] },
  { op: "MaxPool", inputs: ["r2"], outputs: ["p"], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
  ...quantizedConv("p", "c3", [8, 8, 3, 3], 3),
  { op: "Relu", inputs: ["c3"], outputs: ["r3"] },
  { op: "Shape", inputs: ["r2"], outputs: ["shape"] },
  { op: "Slice", inputs: ["shape", "sizes_at", "sizes_to"], outputs: ["sizes"] },
  { op: "Resize", inputs: ["r3", "", "", "sizes"], outputs: ["up"], attrs: { mode: "linear", coordinate_transformation_mode: "half_pixel" } },
  { op: "Concat", inputs: ["up", "r2"], outputs: ["cat"], attrs: { axis: 1 } },
  ...quantizedConv("cat", "logits", [1, 16, 3, 3], 4),
  { op: "Sigmoid", inputs: ["logits"], outputs: ["mask"] },
];

const MODEL = blockModel(nodes, initializers);

/** Largest |a − b| over the tensor's largest |b|. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let [worst, scale] = [0, 0];
  for (let i = 0; i < b.length; i++) [worst, scale] = [Math.max(worst, Math.abs(a[i]! - b[i]!)), Math.max(scale, Math.abs(b[i]!))];
  return worst / scale;
}

// Every integer is exact, so only float32 rounding of the scales, the Resize and the Sigmoid remains (measured: 1e-7, 0 across devices).
await testOnEveryDevice({
  label: "ISNet's int8 op pattern",
  model: MODEL,
  distance: relativeDifference,
  unit: "relative to the largest value",
  vsOnnxruntime: 1e-6,
  vsCpu: 1e-6,
});
