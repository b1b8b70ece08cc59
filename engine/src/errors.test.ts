import assert from "node:assert/strict";
import { test } from "node:test";
import { conv2d, matmul, tensor, useDevice, zeros } from "./index.ts";

test("a broadcasting error names the op and both shapes", () => {
  assert.throws(() => tensor([[1, 2, 3]]).add(tensor([[1, 2]])), /add: shapes \[1, 3\] and \[1, 2\] cannot be broadcast together/);
});

test("a matmul inner-dimension mismatch names the shapes", () => {
  assert.throws(() => matmul(zeros([2, 3]), zeros([4, 5])), /matmul: inner dimensions differ \(3 vs 4\)/);
});

test("a conv2d channel mismatch names input and weight shapes", () => {
  assert.throws(() => conv2d(zeros([1, 3, 8, 8]), zeros([4, 2, 3, 3])), /conv2d: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 2, 3, 3\]/);
});

test("a dtype error names the op and the dtypes", () => {
  assert.throws(() => tensor([1, 2], { dtype: "int32" }).softmax(), { name: "DTypeError", message: "softmax: expects float tensors, got int32[2]" });
  assert.throws(() => tensor([true, false]).logSoftmax(), /logSoftmax: expects float tensors, got bool\[2\]/);
});

test("backward through a non-scalar without a gradient is refused", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  assert.throws(() => x.mul(2).backward(), /backward: a gradient must be given for a non-scalar output \(shape \[3\]\)/);
});

test("backward with a gradient of the wrong shape is refused", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  assert.throws(() => x.mul(2).backward(tensor([1, 1])), /gradient shape \[2\] does not match output shape \[3\]/);
});

test("using a disposed tensor throws a DisposedError", () => {
  const x = tensor([1, 2, 3]);
  x.dispose();
  assert.throws(() => x.add(1), { name: "DisposedError", message: /tensor #\d+ was disposed/ });
});

test("an unknown device name is a clear error listing what is available", async () => {
  assert.throws(() => tensor([1], { device: "tpu" }), /unknown device 'tpu'; available: cpu/);
  await assert.rejects(useDevice("./no-such-plugin.js"), /cannot load device plugin '\.\/no-such-plugin\.js'/);
});

test("an invalid reshape names both shapes", () => {
  assert.throws(() => tensor([1, 2, 3, 4, 5, 6]).reshape(4, 2), /reshape: cannot reshape \[6\] \(6 elements\) to \[4, 2\]/);
});

test("item() on a many-element tensor is refused", async () => {
  await assert.rejects(tensor([1, 2]).item(), /item: tensor has 2 elements/);
});
