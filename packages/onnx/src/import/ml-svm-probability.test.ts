import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { ort } from "../testing/onnxruntime.ts";
import { check, random, randomSvc, rows } from "../testing/ml-testing.ts";

/**
 * SVMClassifier's probability estimates (prob_a/prob_b: Platt's sigmoid per class pair, then
 * libsvm's pairwise coupling) against onnxruntime-node, to float32 rounding; and the refusal past
 * eight classes. Each model takes seconds to import (100 unrolled coupling rounds), so few cases.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

const X = rows(10, 4, 81);
const r = random(82);
const draw = (n: number) => Array.from({ length: n }, () => Math.round((r() * 4 - 2) * 8) / 8);
const outputs = [
  { name: "label", type: "int64" as const },
  { name: "probabilities", type: "float32" as const },
];

const svc = (perClass: number[], kernel: Record<string, unknown>, post_transform: string) => randomSvc(draw, perClass, kernel, post_transform, true);

const linear = { kernel_type: "LINEAR", kernel_params: { floats: [0, 0, 0] } };
const rbf = { kernel_type: "RBF", kernel_params: { floats: [0.125, 0, 0] } };

test("SVMClassifier with prob_a/prob_b, 2 classes, gives onnxruntime's probabilities", { skip }, async () => {
  await check({ node: svc([1, 2], rbf, "SOFTMAX"), outputs, x: X, atol: 1e-5 });
});

test("SVMClassifier with prob_a/prob_b, 3 classes, gives onnxruntime's probabilities", { skip }, async () => {
  await check({ node: svc([1, 2, 2], linear, "NONE"), outputs, x: X, atol: 1e-5 });
});

test("SVMClassifier with prob_a/prob_b, 5 classes, gives onnxruntime's probabilities", { skip }, async () => {
  await check({ node: svc([1, 1, 2, 1, 1], rbf, "NONE"), outputs, x: X, atol: 1e-5 });
});

test("SVMClassifier with prob_a/prob_b past 8 classes is refused, saying how to export without it", async () => {
  await assert.rejects(
    check({ node: svc(Array(9).fill(1), linear, "NONE"), outputs, x: X }),
    /SVMClassifier.*for 9 classes are not supported.*probability=False/,
  );
});
