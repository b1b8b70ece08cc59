import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy, manualSeed, nn, optim, randn, setDefaultDevice, tensor, tidy, type Tensor } from "../index.ts";
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type SchedulerLike } from "./training-checkpoint.ts";

setDefaultDevice("cpu");

// Dropout makes the losses depend on the global RNG, so a resume that lost its position would diverge.
const build = () => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(8, 3));

function data(): [Tensor, Tensor] {
  manualSeed(7);
  return [randn([16, 4]), tensor(Int32Array.from({ length: 16 }, (_, i) => i % 3))];
}

async function train(
  model: nn.Module,
  opt: optim.Optimizer<any>,
  sched: { step(): void } | undefined,
  [x, y]: [Tensor, Tensor],
  steps: number,
): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = tidy(() => {
      const l = crossEntropy(model.call(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.detach();
    });
    sched?.step();
    losses.push(await loss.item());
    loss.dispose();
  }
  return losses;
}

type Setup = (m: nn.Module) => [optim.Optimizer<any>, (SchedulerLike & { step(): void }) | undefined];

async function checkExactResume(setup: Setup): Promise<void> {
  const batch = data();
  manualSeed(1);
  const model = build();
  const [opt, sched] = setup(model);
  await train(model, opt, sched, batch, 4);
  const bytes = await saveTrainingCheckpoint({ model, optimizer: opt, scheduler: sched, step: 4, extra: { note: "mid-run" } });
  const expected = await train(model, opt, sched, batch, 6);

  manualSeed(99); // a different stream and different weights: the checkpoint must restore both
  const fresh = build();
  const [opt2, sched2] = setup(fresh);
  const { step, extra } = loadTrainingCheckpoint(bytes, { model: fresh, optimizer: opt2, scheduler: sched2 });
  assert.equal(step, 4);
  assert.deepEqual(extra, { note: "mid-run" });
  assert.deepEqual(await train(fresh, opt2, sched2, batch, 6), expected);
}

test("resuming SGD with momentum from a training checkpoint gives bit-identical losses", () =>
  checkExactResume((m) => [new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), undefined]));

test("resuming AdamW with a StepLR schedule gives bit-identical losses", () =>
  checkExactResume((m) => {
    const opt = new optim.AdamW(m.parameters(), { lr: 0.01 });
    return [opt, new optim.StepLR(opt, 3, 0.5)];
  }));

test("resuming a warmup + cosine SequentialLR gives bit-identical losses", () =>
  checkExactResume((m) => {
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    return [opt, new optim.SequentialLR(opt, [new optim.LinearLR(opt, 0.1, 1, 3), new optim.CosineAnnealingLR(opt, 8)], [3])];
  }));

test("loading a checkpoint without the optimiser it holds is an error", async () => {
  const model = build();
  const bytes = await saveTrainingCheckpoint({ model, optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }) });
  assert.throws(() => loadTrainingCheckpoint(bytes, { model: build() }), /holds optimiser state but no optimiser was given/);
});

test("a weights-only checkpoint is refused as a training checkpoint", async () => {
  const { saveCheckpoint } = await import("./checkpoint.ts");
  const model = build();
  const bytes = await saveCheckpoint(model.stateDict());
  assert.throws(() => loadTrainingCheckpoint(bytes, { model }), /not a training checkpoint/);
});
