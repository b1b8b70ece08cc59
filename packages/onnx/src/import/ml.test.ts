import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";
import { check, legacyTrees, ML, random, rows } from "../testing/ml-testing.ts";
import { tensorToProto } from "../tensor.ts";

/**
 * The ai.onnx.ml ops scikit-learn pipelines export, each against onnxruntime-node: preprocessing,
 * linear models, and tree ensembles (random trees with every split mode, NaN features, several
 * targets and every aggregate), on cpu, and the trees on npu-sim and webgpu too.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

const X = rows(9, 5, 7);
X[2] = [0, 0, 0, 0, 0];

test("Scaler, Normalizer (MAX, L1, L2, a zero row) and Binarizer match onnxruntime", { skip }, async () => {
  const float = [{ name: "Y", type: "float32" as const }];
  await check({ node: { op: "Scaler", attrs: { offset: { floats: [0.5, -1, 2, 0, 1] }, scale: { floats: [2, 0.5, 1, -1, 3] } } }, outputs: float, x: X });
  await check({ node: { op: "Scaler", attrs: { offset: { floats: [1.5] }, scale: { floats: [0.25] } } }, outputs: float, x: X });
  for (const norm of ["MAX", "L1", "L2"]) await check({ node: { op: "Normalizer", attrs: { norm } }, outputs: float, x: X });
  await check({ node: { op: "Binarizer", attrs: { threshold: { float: 0.5 } } }, outputs: float, x: X });
});

test("Imputer replaces NaN, or a given value, by each feature's imputed value, as onnxruntime does", { skip }, async () => {
  const float = [{ name: "Y", type: "float32" as const }];
  const withNaN = rows(6, 4, 11, 5);
  await check({
    node: { op: "Imputer", attrs: { imputed_value_floats: { floats: [9, 8, 7, 6] }, replaced_value_float: { float: Number.NaN } } },
    outputs: float,
    x: withNaN,
  });
  await check({
    node: { op: "Imputer", attrs: { imputed_value_floats: { floats: [-5] }, replaced_value_float: { float: 0.5 } } },
    outputs: float,
    x: rows(6, 4, 12),
  });
});

test("LinearRegressor and LinearClassifier (3 classes, and 2 classes as two rows) match onnxruntime", { skip }, async () => {
  const r = random(3);
  const coefficients = (n: number) => ({ floats: Array.from({ length: n * 5 }, () => r() * 2 - 1) });
  await check({
    node: { op: "LinearRegressor", attrs: { coefficients: coefficients(2), intercepts: { floats: [0.5, -0.25] }, targets: 2 } },
    outputs: [{ name: "Y", type: "float32" }],
    x: X,
  });
  for (const [classes, post_transform] of [
    [3, "SOFTMAX"],
    [3, "NONE"],
    [2, "LOGISTIC"],
    [4, "SOFTMAX_ZERO"],
  ] as const) {
    await check({
      node: {
        op: "LinearClassifier",
        attrs: {
          coefficients: coefficients(classes),
          intercepts: { floats: Array.from({ length: classes }, (_, k) => k * 0.1 - 0.1) },
          classlabels_ints: Array.from({ length: classes }, (_, k) => 10 + k * 3),
          post_transform,
        },
      },
      outputs: [
        { name: "label", type: "int64" },
        { name: "scores", type: "float32" },
      ],
      x: X,
    });
  }
});

const withNaN = rows(12, 5, 5, 7);

for (const aggregate_function of ["SUM", "AVERAGE", "MIN", "MAX"])
  test(`TreeEnsembleRegressor (${aggregate_function}, 2 targets, every split mode, NaN features) matches onnxruntime`, { skip }, async () => {
    await check({
      node: {
        op: "TreeEnsembleRegressor",
        attrs: { ...legacyTrees(21, 5, 4, 2, "target"), n_targets: 2, aggregate_function, base_values: { floats: [0.5, -1] } },
      },
      outputs: [{ name: "Y", type: "float32" }],
      x: withNaN,
    });
  });

test("TreeEnsembleRegressor with LOGISTIC on one target matches onnxruntime", { skip }, async () => {
  await check({
    node: { op: "TreeEnsembleRegressor", attrs: { ...legacyTrees(5, 3, 3, 1, "target"), n_targets: 1, post_transform: "LOGISTIC" } },
    outputs: [{ name: "Y", type: "float32" }],
    x: withNaN,
  });
});

test("TreeEnsembleClassifier (4 classes, some without votes, SOFTMAX and NONE) matches onnxruntime", { skip }, async () => {
  for (const [seed, post_transform] of [
    [31, "SOFTMAX"],
    [32, "NONE"],
  ] as const) {
    await check({
      node: { op: "TreeEnsembleClassifier", attrs: { ...legacyTrees(seed, 4, 3, 4, "class"), classlabels_int64s: [3, 1, 4, 1_000_000], post_transform } },
      outputs: [
        { name: "label", type: "int64" },
        { name: "probabilities", type: "float32" },
      ],
      x: withNaN,
    });
  }
});

test("TreeEnsemble (ai.onnx.ml opset 5) with set membership and leaves shared by both branches matches onnxruntime", { skip }, async () => {
  const float = (name: string, values: number[]) => ({
    tensor: tensorToProto(name, { dtype: "float32", shape: [values.length], data: Float32Array.from(values) }),
  });
  const modes = { tensor: tensorToProto("nodes_modes", { dtype: "uint8", shape: [4], data: Uint8Array.from([0, 6, 3, 5]) }) };
  for (const aggregate_function of [1, 0, 2, 3])
    await check({
      mlOpset: 5,
      node: {
        op: "TreeEnsemble",
        attrs: {
          n_targets: 2,
          aggregate_function,
          post_transform: 0,
          tree_roots: [0, 3],
          nodes_modes: modes,
          nodes_featureids: [0, 1, 2, 4],
          nodes_splits: float("nodes_splits", [0.5, Number.NaN, -1, 1.25]),
          // onnxruntime implements integer members only.
          membership_values: float("membership_values", [1, -3, 0, Number.NaN]),
          nodes_missing_value_tracks_true: [1, 0, 1, 0],
          nodes_trueleafs: [0, 1, 1, 1],
          nodes_truenodeids: [1, 0, 2, 4],
          nodes_falseleafs: [0, 1, 1, 1],
          nodes_falsenodeids: [2, 1, 3, 4],
          leaf_targetids: [0, 1, 0, 1, 1],
          leaf_weights: float("leaf_weights", [1.5, -2, 0.25, 4, -0.75]),
        },
      },
      outputs: [{ name: "Y", type: "float32" }],
      // Whole numbers in the member column: onnxruntime truncates the feature to an integer before the
      // membership test (-3.25 would be a member there), ONNX's reference and Polychip do not.
      x: withNaN.map((r, i) => [r[0]!, (i % 7) - 3, ...r.slice(2)]),
    });
});

for (const device of ["npu-sim", "webgpu"])
  test(`TreeEnsembleClassifier runs on ${device} like onnxruntime`, { skip }, async () => {
    await check({
      device,
      node: { op: "TreeEnsembleClassifier", attrs: { ...legacyTrees(33, 3, 3, 3, "class"), classlabels_int64s: [0, 1, 2], post_transform: "SOFTMAX" } },
      outputs: [
        { name: "label", type: "int64" },
        { name: "probabilities", type: "float32" },
      ],
      x: withNaN,
      atol: 1e-4,
    });
  });

test("what the ai.onnx.ml lowerings do not reproduce is refused, naming the node", async () => {
  const model = (op: string, attrs: NodeSpec["attrs"], outputs = ["label", "scores"]) =>
    buildModel({
      opset: 17,
      domains: { [ML]: 3 },
      inputs: [{ name: "X", type: "float32", shape: [2, 5] }],
      outputs: outputs.map((name, i) => ({ name, type: i === 0 && outputs.length > 1 ? "int64" : "float32" })),
      nodes: [{ op, inputs: ["X"], outputs, domain: ML, attrs }],
    });
  // Sessions import at their first run.
  const run = async (bytes: Uint8Array) => {
    const session = await OnnxSession.create(bytes);
    try {
      await session.run({ X: { data: new Float32Array(10), shape: [2, 5], dtype: "float32" } });
    } finally {
      session.dispose();
    }
  };
  await assert.rejects(
    run(model("LinearRegressor", { coefficients: { floats: [1, 2, 3, 4, 5] }, post_transform: "PROBIT" }, ["Y"])),
    /PROBIT is not supported/,
  );
  await assert.rejects(
    run(model("LinearClassifier", { coefficients: { floats: Array(10).fill(1) }, classlabels_strings: { strings: ["a", "b"] } })),
    /string class labels are not supported/,
  );
  await assert.rejects(
    run(
      model(
        "TreeEnsembleRegressor",
        { ...legacyTrees(2, 1, 2, 1, "target"), nodes_featureids: legacyTrees(2, 1, 2, 1, "target").nodes_featureids.map(() => 7) },
        ["Y"],
      ),
    ),
    /a split reads feature 7, outside the input's 5 features/,
  );
});
