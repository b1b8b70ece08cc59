import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, setDefaultDevice, tensor } from "../index.ts";
import { binaryCrossEntropy, crossEntropy, mseLoss, nllLoss } from "./losses.ts";

setDefaultDevice("cpu");

const logits = tensor([
  [1, 2, 3],
  [0, 0, 1],
]);

test("crossEntropy keeps the older call shape: [N, C] logits, labelSmoothing option", async () => {
  const plain = await crossEntropy(logits, tensor(Int32Array.from([2, 0]))).item();
  const viaLayer = await new nn.CrossEntropyLoss(0).call(logits, tensor(Int32Array.from([2, 0]))).item();
  assert.equal(plain, viaLayer);
});

test("every target ignored gives NaN for the mean, as torch (0/0)", async () => {
  assert.ok(Number.isNaN(await crossEntropy(logits, tensor(Int32Array.from([-100, -100]))).item()));
});

test("misuse is refused with the op, shapes and dtypes named", () => {
  assert.throws(
    () => crossEntropy(logits, tensor(Int32Array.from([1, 2, 0]))),
    /crossEntropy: targets must be \[2\] for input float32\[2, 3\] \(classes on dim 1\), got \[3\]/,
  );
  assert.throws(
    () => crossEntropy(logits, tensor(Int32Array.from([1, 2])), { reduction: "avg" as never }),
    /reduction must be 'mean', 'sum' or 'none', got "avg"/,
  );
  assert.throws(() => crossEntropy(logits, tensor(Int32Array.from([1, 2])), { weight: tensor([1, 1]) }), /weight must be \[3\] \(one per class\), got \[2\]/);
  assert.throws(
    () =>
      crossEntropy(
        logits,
        tensor([
          [0.5, 0.5, 0],
          [1, 0, 0],
        ]),
        { ignoreIndex: 0 },
      ),
    /ignoreIndex applies to integer class targets/,
  );
  assert.throws(() => crossEntropy(logits, tensor(Int32Array.from([1, 2])), { labelSmoothing: 1.5 }), /labelSmoothing must be in \[0, 1\]/);
  assert.throws(() => nllLoss(logits, tensor([1, 2])), /nllLoss: class targets must be integers, got float32\[2\]/);
  assert.throws(() => mseLoss(logits, tensor([1, 2])), /mseLoss: input \[2, 3\] and target \[2\] must have the same shape/);
  assert.throws(() => binaryCrossEntropy(tensor([0.5]), tensor([1, 0])), /binaryCrossEntropy: input \[1\] and target \[2\]/);
});
