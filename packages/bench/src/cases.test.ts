import assert from "node:assert/strict";
import { test } from "node:test";
import { conv2dCase, cpuCases, filterCases, matmulCase } from "./cases.ts";

test("the cpu case list is issue 6's, in order, with issue 13's ResNet step", () => {
  assert.deepEqual(
    cpuCases().map((c) => c.id),
    ["matmul-128", "matmul-256", "matmul-512", "matmul-1024", "conv2d", "mlp-train-64", "cnn-train-64", "resnet-train-64", "cnn-infer-1", "cnn-infer-64"],
  );
});

test("matmul and conv2d carry their operation counts", () => {
  assert.equal(matmulCase(1024).flops, 2 * 1024 ** 3);
  assert.equal(conv2dCase().flops, 2 * 56 * 56 * 64 * 64 * 9);
});

test("--only picks cases by id or prefix", () => {
  assert.deepEqual(
    filterCases(cpuCases(), "matmul-1024,cnn-infer").map((c) => c.id),
    ["matmul-1024", "cnn-infer-1", "cnn-infer-64"],
  );
});

test("--only with no match names the cases there are", () => {
  assert.throws(() => filterCases(cpuCases(), "gemm"), /no case matches; cases are matmul-128/);
});
