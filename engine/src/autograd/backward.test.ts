import assert from "node:assert/strict";
import { test } from "node:test";
import { matmul, randn, setDefaultDevice } from "../index.ts";
import { profiler } from "../core/index.ts";

setDefaultDevice("cpu");

function matmulKernels(run: () => void): number {
  profiler.start();
  run();
  return profiler.stop().filter((e) => e.category === "kernel" && e.name === "matmul").length;
}

test("a matmul operand that needs no gradient costs no product in backward", () => {
  const x = randn([8, 16]);
  const w = randn([16, 4], { requiresGrad: true });
  assert.equal(
    matmulKernels(() => matmul(x, w).sum().backward()),
    2,
    "forward + dW only",
  );
  assert.deepEqual(w.grad?.shape, [16, 4]);
  assert.equal(x.grad, null);
});

test("both operands get their gradients when both need them", () => {
  const x = randn([8, 16], { requiresGrad: true });
  const w = randn([16, 4], { requiresGrad: true });
  assert.equal(
    matmulKernels(() => matmul(x, w).sum().backward()),
    3,
  );
  assert.deepEqual(x.grad?.shape, [8, 16]);
  assert.deepEqual(w.grad?.shape, [16, 4]);
});
