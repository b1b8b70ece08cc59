import assert from "node:assert/strict";
import { test } from "node:test";
import {
  add_,
  argsort,
  clamp_,
  copy_,
  cumsum,
  einsum,
  fill_,
  manualSeed,
  maskedFill,
  mul,
  mul_,
  multinomial,
  noGrad,
  nn,
  roll,
  setDefaultDevice,
  sum,
  tensor,
  tensorVersion,
  topk,
  triu,
  zero_,
} from "../index.ts";

setDefaultDevice("cpu");

test("multinomial draws classes in proportion to their weights, reproducibly under manualSeed", async () => {
  manualSeed(11);
  const w = tensor([
    [1, 0, 3],
    [0, 5, 0],
  ]);
  const draws = multinomial(w, 400, true);
  assert.deepEqual(draws.shape, [2, 400]);
  const rows = (await draws.array()) as number[][];
  const share2 = rows[0]!.filter((c) => c === 2).length / 400;
  assert.ok(Math.abs(share2 - 0.75) < 0.07, `class 2 drawn ${share2}`);
  assert.ok(!rows[0]!.includes(1), "a zero-weight class is never drawn");
  assert.ok(rows[1]!.every((c) => c === 1));
  manualSeed(11);
  assert.deepEqual(await multinomial(w, 400, true).array(), rows);
});

test("multinomial without replacement never repeats a class in a row", async () => {
  manualSeed(2);
  const rows = (await multinomial(tensor([[1, 1, 1, 1, 1]]), 5).array()) as number[][];
  assert.deepEqual([...rows[0]!].sort(), [0, 1, 2, 3, 4]);
  assert.throws(() => multinomial(tensor([1, 1]), 3), /cannot draw 3 samples from 2 classes without replacement/);
  assert.throws(() => multinomial(tensor(Int32Array.from([1, 1])), 1), /weights must be floats, got int32/);
});

test("in-place ops change the same tensor and bump its version", async () => {
  const t = tensor([1, -2, 3]);
  assert.equal(tensorVersion(t), 0);
  assert.equal(add_(t, tensor([1, 1, 1]), 2), t);
  mul_(t, 2);
  clamp_(t, -1, 8);
  assert.deepEqual(Array.from(await t.data()), [6, 0, 8]);
  copy_(t, tensor([7]));
  assert.deepEqual(Array.from(await t.data()), [7, 7, 7]);
  fill_(t, 0.5);
  zero_(t);
  assert.deepEqual(Array.from(await t.data()), [0, 0, 0]);
  assert.equal(tensorVersion(t), 6);
});

test("in-place changes to tensors autograd tracks are refused; noGrad allows them on parameters", async () => {
  const w = nn.parameter(tensor([1, 2]));
  assert.throws(() => mul_(w, 2), /mul_: .* is a leaf that requires grad; an in-place change would corrupt gradients/);
  const y = mul(w, 3);
  assert.throws(() => add_(y, 1), /add_: .* is the result of 'mul' in an autograd graph/);
  noGrad(() => mul_(w, 2));
  assert.deepEqual(Array.from(await w.data()), [2, 4]);
  assert.throws(
    () =>
      add_(
        tensor([1, 2]),
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
    /add_: the result \[2, 2\] does not fit the tensor \[2\] in place/,
  );
});

test("maskedFill with -Infinity then softmax-style use keeps the gradient off the filled places", async () => {
  const x = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  );
  const filled = maskedFill(
    x,
    triu(
      tensor([
        [1, 1],
        [1, 1],
      ]),
      1,
    ).gt(0),
    -Infinity,
  );
  assert.deepEqual(Array.from(await filled.data()), [1, -Infinity, 3, 4]);
  sum(
    maskedFill(
      x,
      tensor([
        [true, false],
        [false, false],
      ]),
      0,
    ),
  ).backward();
  assert.deepEqual(Array.from(await x.grad!.data()), [0, 1, 1, 1]);
  assert.throws(() => maskedFill(x, tensor([1, 0]), 0), /mask must be bool, got float32\[2\]/);
});

test("einsum and the sorting ops refuse misuse with the equation or shape named", () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  assert.throws(() => einsum("ij,jk->ik", a), /names 2 operands, got 1 tensors/);
  assert.throws(() => einsum("ii->i", a), /repeated subscript in 'ii'/);
  assert.throws(() => einsum("...ij->ij", a), /ellipsis\) is not supported/);
  assert.throws(() => einsum("ijk->i", a), /operand 0 has 2 dims \[2, 2\], the subscripts 'ijk' name 3/);
  assert.throws(
    () =>
      einsum(
        "ij,jk->ik",
        a,
        tensor([
          [1, 2],
          [1, 2],
          [1, 2],
        ]),
      ),
    /subscript 'j' is 2 in one operand and 3 in operand 1/,
  );
  assert.throws(() => topk(a, 3), /k must be an integer in \[0, 2\]/);
  assert.throws(() => argsort(tensor(3)), /needs at least 1 dim/);
  assert.throws(() => roll(a, [1, 2], [0]), /2 shifts for 1 dims/);
  assert.throws(() => cumsum(a, 2), /cumsum/);
});
