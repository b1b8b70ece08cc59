import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { ort } from "../testing/onnxruntime.ts";
import { check, legacyTrees, random, rows } from "../testing/ml-testing.ts";

/**
 * onnxruntime's "binary case" of the ai.onnx.ml classifiers, checked against onnxruntime-node over
 * every combination its rules branch on: which classes the leaves vote for, 0, 1 or 2 base values,
 * all-positive or mixed weights, and the post_transform; labels other than 0 and 1.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

const X = rows(16, 5, 41, 9);
const classifierOutputs = [
  { name: "label", type: "int64" as const },
  { name: "probabilities", type: "float32" as const },
];
const bases: (number[] | undefined)[] = [undefined, [0.25], [-0.5, 0.375]];
const transforms = ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"];

for (const voteFor of [[0], [1], [0, 1]])
  for (const positive of [true, false])
    test(`2-class TreeEnsembleClassifier, votes for class ${voteFor.join(" and ")}, ${positive ? "positive" : "mixed"} weights, matches onnxruntime`, {
      skip,
    }, async () => {
      let seed = 50;
      for (const base of bases) {
        // onnxruntime leaves a score unwritten here; Polychip refuses it (tested below).
        if (base?.length === 1 && voteFor.length === 2) continue;
        for (const post_transform of transforms)
          await check({
            node: {
              op: "TreeEnsembleClassifier",
              attrs: {
                ...legacyTrees(seed++, 3, 3, 2, "class", { voteFor, positive }),
                classlabels_int64s: [7, -2],
                post_transform,
                ...(base ? { base_values: { floats: base } } : {}),
              },
            },
            outputs: classifierOutputs,
            x: X,
          });
      }
    });

test("1-class TreeEnsembleClassifier (base values none, 1 and 2; every post_transform) matches onnxruntime", { skip }, async () => {
  let seed = 70;
  for (const base of bases)
    for (const post_transform of transforms)
      await check({
        node: {
          op: "TreeEnsembleClassifier",
          attrs: {
            ...legacyTrees(seed++, 3, 3, 1, "class", { chance: 1 }),
            classlabels_int64s: [9],
            post_transform,
            ...(base ? { base_values: { floats: base } } : {}),
          },
        },
        outputs: classifierOutputs,
        x: X,
      });
});

test("LinearClassifier with one row of coefficients for 2 labels matches onnxruntime", { skip }, async () => {
  const r = random(8);
  for (const [labels, post_transform] of [
    [[4, 11], "NONE"],
    [[4, 11], "LOGISTIC"],
    [[0, 1], "SOFTMAX"],
    [[-1, 6], "SOFTMAX_ZERO"],
  ] as const)
    await check({
      node: {
        op: "LinearClassifier",
        attrs: {
          coefficients: { floats: Array.from({ length: 5 }, () => Math.round((r() * 2 - 1) * 8) / 8) },
          intercepts: { floats: [0.125] },
          classlabels_ints: [...labels],
          post_transform,
        },
      },
      outputs: [
        { name: "label", type: "int64" },
        { name: "scores", type: "float32" },
      ],
      x: rows(16, 5, 43),
    });
});

for (const device of ["npu-sim", "webgpu"])
  test(`a 2-class TreeEnsembleClassifier runs on ${device} like onnxruntime`, { skip }, async () => {
    await check({
      device,
      node: {
        op: "TreeEnsembleClassifier",
        attrs: {
          ...legacyTrees(90, 3, 3, 2, "class", { voteFor: [1] }),
          classlabels_int64s: [0, 1],
          post_transform: "LOGISTIC",
          base_values: { floats: [0, 0.5] },
        },
      },
      outputs: classifierOutputs,
      x: X,
      atol: 1e-4,
    });
  });

test("binary classifiers onnxruntime leaves undefined are refused, naming the node", async () => {
  await assert.rejects(
    check({
      node: { op: "TreeEnsembleClassifier", attrs: { ...legacyTrees(3, 2, 2, 2, "class"), classlabels_int64s: [0, 1], base_values: { floats: [1] } } },
      outputs: classifierOutputs,
      x: X,
    }),
    /TreeEnsembleClassifier.*votes for both classes and one base value is not supported/,
  );
  await assert.rejects(
    check({
      node: { op: "TreeEnsembleClassifier", attrs: { ...legacyTrees(4, 2, 2, 1, "class", { chance: 0.3 }), classlabels_int64s: [5] } },
      outputs: classifierOutputs,
      x: X,
    }),
    /1-class TreeEnsembleClassifier with a leaf that has no weight is not supported/,
  );
  await assert.rejects(
    check({
      node: { op: "LinearClassifier", attrs: { coefficients: { floats: [1, 2, 3, 4, 5] }, intercepts: { floats: [0] }, classlabels_ints: [0, 1, 2] } },
      outputs: classifierOutputs,
      x: X,
    }),
    /LinearClassifier.*1 rows of coefficients for 3 labels/,
  );
  // onnxruntime refuses this one too.
  await assert.rejects(
    check({
      node: { op: "LinearClassifier", attrs: { coefficients: { floats: [1, 2, 3, 4, 5] }, intercepts: { floats: [0] }, classlabels_ints: [4] } },
      outputs: classifierOutputs,
      x: X,
    }),
    /LinearClassifier.*1 rows of coefficients for 1 labels/,
  );
});
