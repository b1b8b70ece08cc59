import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, edgeValues, random } from "./values.ts";

/** softmax / logSoftmax along every axis, with rows holding ±Inf and NaN. */
export function softmaxCases({ dtype }: CaseContext): ConformanceCase[] {
  const x = random(501, dtype, [2, 3, 4], [-4, 4]);
  const edges = [0, 1, -Infinity, 2, Infinity, 0, -Infinity, -Infinity, NaN, 1, 2, 3];
  return [
    { name: "axis -1 [2, 3, 4]", inputs: [x], attrs: { axis: -1 } },
    { name: "axis 0 [2, 3, 4]", inputs: [x], attrs: { axis: 0 } },
    { name: "axis 1 [2, 3, 4]", inputs: [x], attrs: { axis: 1 } },
    { name: "size-1 axis [3, 1]", inputs: [random(502, dtype, [3, 1])], attrs: { axis: 1 } },
    { name: "empty [0, 5]", inputs: [random(503, dtype, [0, 5])], attrs: { axis: 1 } },
    { name: "large logits [4, 8]", inputs: [random(504, dtype, [4, 8], [-60, 60])], attrs: { axis: 1 } },
    { name: "rows with ±Inf and NaN [4, 3]", inputs: [contiguous(dtype, [4, 3], edges)], attrs: { axis: 1 }, accumulation: 1 },
    { name: "large [64, 1000]", inputs: [random(505, dtype, [64, 1000], [-5, 5])], attrs: { axis: -1 }, accumulation: 1 },
  ];
}

/** softplus with both betas, over a range where exp overflows in float32, and at ±Inf and NaN. */
export function softplusCases({ dtype }: CaseContext): ConformanceCase[] {
  return [
    { name: "[3, 4]", inputs: [random(521, dtype, [3, 4], [-4, 4])], attrs: {} },
    { name: "beta 2, large magnitudes [4, 8]", inputs: [random(522, dtype, [4, 8], [-100, 100])], attrs: { beta: 2 } },
    { name: "edge values", inputs: [contiguous(dtype, [6], [0, -Infinity, Infinity, NaN, -1e4, 1e4])], attrs: {} },
  ];
}

/** layerNorm over trailing dims, with and without weight/bias. */
export function layerNormCases({ dtype }: CaseContext): ConformanceCase[] {
  return [
    {
      name: "axis -1 [2, 3, 8] with weight and bias",
      inputs: [random(511, dtype, [2, 3, 8]), random(512, dtype, [8]), random(513, dtype, [8])],
      attrs: { axis: -1, epsilon: 1e-5 },
      accumulation: 8,
    },
    {
      name: "axis 1 [2, 3, 4] with weight",
      inputs: [random(514, dtype, [2, 3, 4]), random(515, dtype, [3, 4])],
      attrs: { axis: 1, epsilon: 1e-5 },
      accumulation: 12,
    },
    { name: "no weight [4, 6]", inputs: [random(516, dtype, [4, 6])], attrs: { epsilon: 1e-3 }, accumulation: 6 },
    { name: "constant rows (variance 0) [2, 4]", inputs: [contiguous(dtype, [2, 4], [1, 1, 1, 1, -2, -2, -2, -2])], attrs: { epsilon: 1e-5 } },
    { name: "large [64, 512]", inputs: [random(517, dtype, [64, 512])], attrs: { epsilon: 1e-5 }, accumulation: 64 },
  ];
}

/** Inference batchNorm over channel dim 1. */
export function batchNormCases({ dtype }: CaseContext): ConformanceCase[] {
  const stats = (seed: number, c: number) => [
    random(seed, dtype, [c]),
    random(seed + 1, dtype, [c]),
    random(seed + 2, dtype, [c]),
    random(seed + 3, dtype, [c], [0.1, 2]),
  ];
  const edges = edgeValues(dtype);
  return [
    { name: "[2, 3, 4, 4]", inputs: [random(521, dtype, [2, 3, 4, 4]), ...stats(522, 3)], attrs: { epsilon: 1e-5 } },
    { name: "[4, 5] (no spatial dims)", inputs: [random(530, dtype, [4, 5]), ...stats(531, 5)], attrs: { epsilon: 1e-3 } },
    { name: "empty batch [0, 2, 3, 3]", inputs: [random(540, dtype, [0, 2, 3, 3]), ...stats(541, 2)], attrs: { epsilon: 1e-5 } },
    { name: `edge values [1, 1, ${edges.length}]`, inputs: [contiguous(dtype, [1, 1, edges.length], edges), ...stats(550, 1)], attrs: { epsilon: 1e-5 } },
    { name: "large [8, 16, 32, 32]", inputs: [random(560, dtype, [8, 16, 32, 32]), ...stats(561, 16)], attrs: { epsilon: 1e-5 } },
  ];
}

/** Training batchNorm (batch statistics over every dim but 1); `accumulation` is the count each channel's sums run over. */
export function batchNormTrainingCases({ dtype }: CaseContext): ConformanceCase[] {
  const affine = (seed: number, c: number) => [random(seed, dtype, [c], [0.5, 2]), random(seed + 1, dtype, [c])];
  return [
    { name: "[2, 3, 4, 4]", inputs: [random(570, dtype, [2, 3, 4, 4]), ...affine(571, 3)], attrs: { epsilon: 1e-5 }, accumulation: 32 },
    { name: "[6, 5] (no spatial dims), epsilon 0.1", inputs: [random(573, dtype, [6, 5]), ...affine(574, 5)], attrs: { epsilon: 0.1 }, accumulation: 6 },
    { name: "large [8, 16, 14, 14]", inputs: [random(576, dtype, [8, 16, 14, 14]), ...affine(577, 16)], attrs: { epsilon: 1e-5 }, accumulation: 1568 },
  ];
}

/** The gradient of training batchNorm: gradY, x, scale, and the forward's mean and (biased) variance. */
export function batchNormTrainingGradCases({ dtype }: CaseContext): ConformanceCase[] {
  const rest = (seed: number, c: number) => [random(seed, dtype, [c], [0.5, 2]), random(seed + 1, dtype, [c]), random(seed + 2, dtype, [c], [0.1, 2])];
  const pair = (seed: number, shape: number[]) => [random(seed, dtype, shape), random(seed + 1, dtype, shape)];
  return [
    { name: "[2, 3, 4, 4]", inputs: [...pair(580, [2, 3, 4, 4]), ...rest(582, 3)], attrs: { epsilon: 1e-5 }, accumulation: 32 },
    { name: "[6, 5] (no spatial dims)", inputs: [...pair(585, [6, 5]), ...rest(587, 5)], attrs: { epsilon: 1e-5 }, accumulation: 6 },
    { name: "large [8, 16, 14, 14]", inputs: [...pair(590, [8, 16, 14, 14]), ...rest(592, 16)], attrs: { epsilon: 1e-5 }, accumulation: 1568 },
  ];
}

/** The gradient of training batchNorm + relu: gradY, x, scale, bias (both signs, so the mask closes some elements), and the forward's mean and variance. */
export function batchNormTrainingReluGradCases({ dtype }: CaseContext): ConformanceCase[] {
  const stats = (seed: number, c: number) => [random(seed, dtype, [c]), random(seed + 1, dtype, [c], [0.1, 2])];
  const pair = (seed: number, shape: number[]) => [random(seed, dtype, shape), random(seed + 1, dtype, shape)];
  const affine = (seed: number, c: number) => [random(seed, dtype, [c], [0.5, 2]), random(seed + 1, dtype, [c])];
  return [
    { name: "[2, 3, 4, 4]", inputs: [...pair(595, [2, 3, 4, 4]), ...affine(597, 3), ...stats(599, 3)], attrs: { epsilon: 1e-5 }, accumulation: 32 },
    {
      name: "large [8, 16, 14, 14]",
      inputs: [...pair(601, [8, 16, 14, 14]), ...affine(603, 16), ...stats(605, 16)],
      attrs: { epsilon: 1e-5 },
      accumulation: 1568,
    },
  ];
}
