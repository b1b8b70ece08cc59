import { test } from "node:test";
import "@polychip/devices";
import { ort } from "../testing/onnxruntime.ts";
import { check, random, randomSvc, rows } from "../testing/ml-testing.ts";

/**
 * SVMRegressor and SVMClassifier against onnxruntime-node: every kernel, support vectors of uneven
 * counts per class, two to four classes (one-vs-one votes and decision values), the liblinear form
 * (ml-svm-probability.test.ts checks prob_a/prob_b).
 */
const skip = ort ? false : "onnxruntime-node is not installed";

const X = rows(10, 4, 61);
const kernels = [
  { kernel_type: "LINEAR", kernel_params: { floats: [0, 0, 0] } },
  { kernel_type: "POLY", kernel_params: { floats: [0.25, 0.5, 3] } },
  { kernel_type: "RBF", kernel_params: { floats: [0.125, 0, 0] } },
  { kernel_type: "SIGMOID", kernel_params: { floats: [0.2, -0.25, 0] } },
];
const r = random(62);
const draw = (n: number) => Array.from({ length: n }, () => Math.round((r() * 4 - 2) * 8) / 8);
const classifierOutputs = [
  { name: "label", type: "int64" as const },
  { name: "scores", type: "float32" as const },
];

for (const kernel of kernels)
  test(`SVMRegressor (${kernel.kernel_type} kernel, and one_class) matches onnxruntime`, { skip }, async () => {
    for (const one_class of [0, 1])
      await check({
        node: {
          op: "SVMRegressor",
          attrs: { ...kernel, n_supports: 3, support_vectors: { floats: draw(12) }, coefficients: { floats: draw(3) }, rho: { floats: [0.375] }, one_class },
        },
        outputs: [{ name: "Y", type: "float32" }],
        x: X,
        atol: 1e-4,
      });
  });

test("SVMRegressor without support vectors (a linear model) matches onnxruntime", { skip }, async () => {
  await check({
    node: { op: "SVMRegressor", attrs: { n_supports: 0, kernel_params: { floats: [0, 0, 0] }, coefficients: { floats: draw(4) }, rho: { floats: [-0.5] } } },
    outputs: [{ name: "Y", type: "float32" }],
    x: X,
  });
});

for (const kernel of kernels)
  test(`SVMClassifier (${kernel.kernel_type} kernel, 2 to 4 classes, NONE, LOGISTIC and SOFTMAX) matches onnxruntime`, { skip }, async () => {
    for (const perClass of [
      [2, 3],
      [1, 2, 2],
      [2, 1, 1, 2],
    ])
      for (const post_transform of ["NONE", "LOGISTIC", "SOFTMAX"])
        await check({ node: randomSvc(draw, perClass, kernel, post_transform), outputs: classifierOutputs, x: X, atol: 1e-4 });
  });

test("SVMClassifier without support vectors (liblinear; 2 classes with positive and mixed weights, 3 classes) matches onnxruntime", { skip }, async () => {
  for (const [classes, coefficients, post_transform] of [
    [2, draw(8).map(Math.abs), "NONE"],
    [2, draw(8), "NONE"],
    [2, draw(8), "LOGISTIC"],
    [3, draw(12), "SOFTMAX"],
  ] as const)
    await check({
      node: {
        op: "SVMClassifier",
        attrs: {
          kernel_params: { floats: [0, 0, 0] },
          coefficients: { floats: [...coefficients] },
          rho: { floats: [0.25] },
          classlabels_ints: Array.from({ length: classes }, (_, k) => 10 + k),
          post_transform,
        },
      },
      outputs: classifierOutputs,
      x: X.map((row) => row.map((v) => v / 4)),
    });
  // prob_a does not change liblinear scores, but onnxruntime then skips its two-class threshold rule.
  await check({
    node: {
      op: "SVMClassifier",
      attrs: {
        kernel_params: { floats: [0, 0, 0] },
        coefficients: { floats: draw(8).map(Math.abs) },
        rho: { floats: [-0.25] },
        prob_a: { floats: [-1] },
        prob_b: { floats: [0] },
        classlabels_ints: [3, 4],
      },
    },
    outputs: classifierOutputs,
    x: X.map((row) => row.map((v) => v / 4)),
  });
});

for (const device of ["npu-sim", "webgpu"])
  test(`SVMClassifier (POLY and SIGMOID, 3 classes) and SVMRegressor (RBF) run on ${device} like onnxruntime`, { skip }, async () => {
    for (const kernel of [kernels[1]!, kernels[3]!])
      await check({
        device,
        node: {
          op: "SVMClassifier",
          attrs: {
            ...kernel,
            vectors_per_class: [2, 1, 2],
            support_vectors: { floats: draw(20) },
            coefficients: { floats: draw(10) },
            rho: { floats: draw(3) },
            classlabels_ints: [0, 1, 2],
            post_transform: "SOFTMAX",
          },
        },
        outputs: classifierOutputs,
        x: X,
        atol: 1e-4,
      });
    await check({
      device,
      node: {
        op: "SVMRegressor",
        attrs: { ...kernels[2]!, n_supports: 2, support_vectors: { floats: draw(8) }, coefficients: { floats: draw(2) }, rho: { floats: [0.5] } },
      },
      outputs: [{ name: "Y", type: "float32" }],
      x: X,
      atol: 1e-4,
    });
  });
