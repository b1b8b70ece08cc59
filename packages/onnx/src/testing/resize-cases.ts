import { buildModel, initializer, type NodeSpec } from "./model-builder.ts";

/**
 * Linear Resize/Upsample cases whose float32 outputs must equal onnxruntime's bit for bit. The
 * expected outputs live in fixtures/resize-onnxruntime.json, written from these cases by
 * scripts/generate-resize-fixtures.ts (onnxruntime-node), so the test needs no onnxruntime.
 */
export interface ResizeCase {
  readonly name: string;
  readonly opset: number;
  readonly op?: "Resize" | "Upsample";
  readonly shape: readonly number[];
  readonly scales?: readonly number[];
  readonly sizes?: readonly number[];
  readonly roi?: readonly number[];
  readonly attrs?: Readonly<Record<string, number | string | number[]>>;
}

const linear = (coordinate_transformation_mode: string, extra: Record<string, number | string | number[]> = {}) => ({
  mode: "linear",
  coordinate_transformation_mode,
  ...extra,
});

export const RESIZE_CASES: readonly ResizeCase[] = [
  { name: "2x half_pixel NCHW", opset: 13, shape: [1, 3, 7, 9], scales: [1, 1, 2, 2], attrs: linear("half_pixel") },
  { name: "non-integer up/down half_pixel", opset: 13, shape: [2, 1, 6, 5], scales: [1, 1, 1.7, 0.6], attrs: linear("half_pixel") },
  { name: "sizes pytorch_half_pixel", opset: 13, shape: [1, 2, 4, 5], sizes: [1, 2, 9, 11], attrs: linear("pytorch_half_pixel") },
  { name: "sizes pytorch_half_pixel to one column", opset: 13, shape: [1, 1, 4, 5], sizes: [1, 1, 7, 1], attrs: linear("pytorch_half_pixel") },
  { name: "sizes align_corners", opset: 13, shape: [1, 2, 4, 5], sizes: [1, 2, 9, 11], attrs: linear("align_corners") },
  { name: "scales align_corners downsample", opset: 13, shape: [1, 1, 5, 8], scales: [1, 1, 0.6, 0.75], attrs: linear("align_corners") },
  { name: "asymmetric 3x", opset: 13, shape: [1, 2, 3, 4], scales: [1, 1, 3, 3], attrs: linear("asymmetric") },
  { name: "asymmetric downsample", opset: 13, shape: [1, 1, 9, 13], scales: [1, 1, 0.45, 0.6], attrs: linear("asymmetric") },
  { name: "half_pixel_symmetric", opset: 19, shape: [1, 2, 5, 6], scales: [1, 1, 1.9, 2.3], attrs: linear("half_pixel_symmetric") },
  {
    name: "tf_crop_and_resize with extrapolation",
    opset: 13,
    shape: [1, 1, 6, 7],
    sizes: [1, 1, 5, 9],
    roi: [0, 0, -0.1, 0.2, 1, 1, 0.8, 1.3],
    attrs: linear("tf_crop_and_resize", { extrapolation_value: 3.5 }),
  },
  { name: "tf_half_pixel_for_nn", opset: 11, shape: [1, 1, 4, 6], scales: [1, 1, 2, 1.5], attrs: linear("tf_half_pixel_for_nn") },
  { name: "width only", opset: 13, shape: [1, 2, 4, 5], scales: [1, 1, 1, 2.5], attrs: linear("half_pixel") },
  { name: "height only", opset: 13, shape: [1, 2, 5, 4], scales: [1, 1, 3, 1], attrs: linear("half_pixel") },
  { name: "rank-2 input", opset: 13, shape: [5, 6], scales: [2.5, 1.5], attrs: linear("half_pixel") },
  { name: "NHWC", opset: 13, shape: [1, 4, 5, 3], scales: [1, 2, 1.5, 1], attrs: linear("half_pixel") },
  { name: "rank-3 trilinear", opset: 13, shape: [3, 4, 5], scales: [2, 1.5, 1.3], attrs: linear("half_pixel") },
  { name: "rank-5 trilinear align_corners", opset: 13, shape: [1, 2, 3, 4, 5], sizes: [1, 2, 5, 7, 9], attrs: linear("align_corners") },
  {
    name: "axes 2,3 with not_larger",
    opset: 18,
    shape: [1, 2, 4, 6],
    sizes: [10, 9],
    attrs: linear("half_pixel", { axes: [2, 3], keep_aspect_ratio_policy: "not_larger" }),
  },
  { name: "Resize-10 (asymmetric)", opset: 10, shape: [1, 2, 3, 5], scales: [1, 1, 2.5, 1.6], attrs: { mode: "linear" } },
  { name: "Upsample-9 linear", opset: 9, op: "Upsample", shape: [1, 1, 4, 3], scales: [1, 1, 2, 3], attrs: { mode: "linear" } },
  { name: "Upsample-7 linear", opset: 7, op: "Upsample", shape: [1, 2, 3, 3], scales: [1, 1, 1.5, 2], attrs: { mode: "linear" } },
];

/** Input values of varied sign and magnitude (a fixed LCG), so that any change in summation order shows. */
export function resizeCaseInput(c: ResizeCase): Float32Array {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let state = 0x9e3779b9 ^ n;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const unit = state / 2 ** 32;
    out[i] = (unit - 0.37) * 10 ** ((i % 5) - 2);
  }
  return out;
}

/** The case as an ONNX model with one float32 input `x` and output `y`. */
export function resizeCaseModel(c: ResizeCase): Uint8Array {
  const op = c.op ?? "Resize";
  const initializers = [];
  let inputs: string[];
  let attrs: NodeSpec["attrs"] = { ...c.attrs };
  if (op === "Upsample" && c.opset < 9) {
    inputs = ["x"];
    attrs = { ...attrs, scales: { floats: [...c.scales!] } };
  } else if (op === "Upsample" || c.opset < 11) {
    inputs = ["x", "scales"];
    initializers.push(initializer("scales", [...c.scales!], [c.scales!.length]));
  } else {
    // roi is a required input before opset 13: an empty one when the mode does not read it.
    inputs = ["x", "roi", c.scales ? "scales" : ""];
    initializers.push(initializer("roi", [...(c.roi ?? [])], [c.roi?.length ?? 0]));
    if (c.scales) initializers.push(initializer("scales", [...c.scales], [c.scales.length]));
    if (c.sizes) {
      inputs.push("sizes");
      initializers.push(initializer("sizes", [...c.sizes], [c.sizes.length], "int64"));
    }
  }
  return buildModel({
    opset: c.opset,
    inputs: [{ name: "x", type: "float32", shape: [...c.shape] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op, inputs, outputs: ["y"], attrs }],
    initializers,
  });
}
