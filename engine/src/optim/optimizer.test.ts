import assert from "node:assert/strict";
import { test } from "node:test";
import { mul, nn, optim, setDefaultDevice, sum, tensor } from "../index.ts";

setDefaultDevice("cpu");

const param = (values: number[]) => nn.parameter(tensor(values));

test("parameter groups keep their own options", () => {
  const a = param([1]);
  const b = param([1]);
  const opt = new optim.SGD(
    [
      { params: [a], weightDecay: 0.5 },
      { params: [b], lr: 0.01 },
    ],
    { lr: 0.1 },
  );
  assert.deepEqual(
    opt.paramGroups.map((g) => [g.lr, g.weightDecay]),
    [
      [0.1, 0.5],
      [0.01, 0],
    ],
  );
  assert.deepEqual(opt.params, [a, b]);
});

test("an unknown group option (a snake_case typo) is refused, not ignored", () => {
  assert.throws(
    () => new optim.AdamW([{ params: [param([1])], weight_decay: 0 } as never], { lr: 0.1 }),
    /parameter group 0: unknown option\(s\) weight_decay; AdamW takes lr, betas, eps, weightDecay/,
  );
});

test("mixing tensors and groups, non-tensors, shared tensors and non-leaves are refused", () => {
  const p = param([1]);
  assert.throws(() => new optim.SGD([p, { params: [param([2])] }] as never, { lr: 0.1 }), /expected tensors or \{ params, \.\.\.options \} groups, not a mix/);
  assert.throws(() => new optim.SGD([{ params: [3] }] as never, { lr: 0.1 }), /params must be tensors, got number 3/);
  assert.throws(() => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /appears in more than one parameter group/);
  assert.throws(() => new optim.SGD([mul(p, 2)], { lr: 0.1 }), /cannot optimise a non-leaf tensor/);
  assert.throws(() => new optim.SGD([], { lr: 0.1 }), /empty parameter list/);
  assert.throws(() => new optim.SGD([p], { lr: -1 }), /learning rate must be a number >= 0/);
});

test("stateDict copies restore momentum into a new optimiser, which then steps identically", async () => {
  const run = (opt: optim.Optimizer<any>, p: ReturnType<typeof param>) => {
    p.grad = tensor([0.5, -1]);
    opt.step();
  };
  const p = param([1, 2]);
  const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
  run(opt, p);
  const q = param(Array.from(await p.data()));
  const opt2 = new optim.SGD([q], { lr: 0.5 });
  opt2.loadStateDict(opt.stateDict());
  assert.equal(opt2.lr, 0.1, "group options come from the state");
  run(opt, p);
  run(opt2, q);
  assert.deepEqual(Array.from(await q.data()), Array.from(await p.data()));
});

test("loadStateDict refuses a state for differently shaped groups", () => {
  const opt = new optim.Adam([param([1, 2])], { lr: 0.1 });
  const other = new optim.Adam([param([1]), param([2])], { lr: 0.1 });
  assert.throws(() => other.loadStateDict(opt.stateDict()), /group 0 holds 1 tensors in the state, 2 in the optimiser/);
});

test("a scheduler's stateDict resumes the schedule in a new scheduler", () => {
  const make = () => {
    const opt = new optim.SGD([param([1])], { lr: 1 });
    return [opt, new optim.MultiStepLR(opt, [2, 4], 0.5)] as const;
  };
  const [opt, s] = make();
  for (let i = 0; i < 3; i++) s.step();
  const [opt2, s2] = make();
  s2.loadStateDict(s.stateDict());
  assert.equal(opt2.lr, opt.lr);
  s.step();
  s2.step();
  assert.equal(opt2.lr, 0.25);
  assert.deepEqual(s2.getLastLr(), s.getLastLr());
});

test("clipGradNorm_ scales gradients to the max norm and returns the norm before clipping", async () => {
  const a = param([0, 0]);
  const b = param([0]);
  sum(mul(a, tensor([3, 0])))
    .add(sum(mul(b, tensor([4]))))
    .backward();
  const norm = optim.clipGradNorm_([a, b], 1);
  assert.equal(await norm.item(), 5);
  assert.deepEqual(
    Array.from(await a.grad!.data()).map((v) => +v.toFixed(5)),
    [0.6, 0],
  );
  assert.deepEqual(
    Array.from(await b.grad!.data()).map((v) => +v.toFixed(5)),
    [0.8],
  );
  const infNorm = await optim.clipGradNorm_([a, b], 10, Infinity).item();
  assert.ok(Math.abs(infNorm - 0.8) < 1e-5, `inf-norm ${infNorm}`);
});

test("clipGradValue_ clamps each gradient element", async () => {
  const a = param([0, 0, 0]);
  sum(mul(a, tensor([-3, 0.5, 2]))).backward();
  optim.clipGradValue_([a], 1);
  assert.deepEqual(Array.from(await a.grad!.data()), [-1, 0.5, 1]);
});

test("ReduceLROnPlateau refuses a tensor or NaN metric", () => {
  const s = new optim.ReduceLROnPlateau(new optim.SGD([param([1])], { lr: 1 }));
  assert.throws(() => s.step(tensor([1]) as never), /expected a number metric/);
});

test("OneCycleLR given an options object where maxLr goes says so, naming the argument", () => {
  const opt = new optim.SGD([param([1])], { lr: 0.1 });
  assert.throws(
    () => new optim.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 } as never),
    /OneCycleLR: maxLr \(the second argument\) must be a positive number/,
  );
});
