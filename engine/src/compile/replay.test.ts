import assert from "node:assert/strict";
import { test } from "node:test";
import { type CompileOptions, compile, crossEntropy, manualSeed, memory, nn, noGrad, optim, randn, setDefaultDevice, tensor, type Tensor } from "../index.ts";
import { assertClose, cnn, LstmClassifier, trainStep, twins } from "../testing/compile-twins.ts";

setDefaultDevice("cpu");

type Batch = [Tensor, Tensor];

/** `steps` different batches of `input` (labels cycling through `classes`), so each call binds new argument tensors. */
function batches(steps: number, input: number[], classes: number): Batch[] {
  manualSeed(11);
  return Array.from({ length: steps }, (_, s) => [
    randn(input),
    tensor(
      Array.from({ length: input[0]! }, (_, i) => (i + s) % classes),
      { dtype: "int32" },
    ),
  ]);
}

interface Run {
  model: nn.Module;
  opt: optim.Optimizer;
  losses: Tensor[];
  step?: ReturnType<typeof compile>;
}

/** Trains one twin on `data` eagerly, compiled, or compiled with replay; each from the same random stream position. */
function train(
  model: nn.Module,
  opt: optim.Optimizer,
  data: readonly Batch[],
  mode: "eager" | "compiled" | "replay",
  onStep?: (i: number) => void,
  options: CompileOptions = {},
): Run {
  const plain = trainStep(model, opt);
  const step = mode === "eager" ? undefined : compile(plain, { ...options, replay: mode === "replay" });
  manualSeed(5);
  const losses = data.map(([x, y], i) => {
    onStep?.(i);
    return (step ?? plain)(x, y);
  });
  return { model, opt, losses, step };
}

/** Losses, parameters, gradients, buffers and optimiser state (step counts and moments) agree within rtol. */
async function assertSameTraining(actual: Run, expected: Run, rtol: number, what: string) {
  for (let i = 0; i < expected.losses.length; i++) await assertClose(actual.losses[i]!, expected.losses[i]!, rtol, `${what}: loss at step ${i}`);
  const params = new Map(expected.model.namedParameters());
  for (const [name, p] of actual.model.namedParameters()) {
    await assertClose(p, params.get(name)!, rtol, `${what}: parameter ${name}`);
    await assertClose(p.grad!, params.get(name)!.grad!, rtol, `${what}: gradient of ${name}`);
  }
  const buffers = new Map(expected.model.namedBuffers());
  for (const [name, b] of actual.model.namedBuffers()) await assertClose(b, buffers.get(name)!, rtol, `${what}: buffer ${name}`);
  const [a, e] = [actual.opt.stateDict().state, expected.opt.stateDict().state];
  assert.deepEqual(Object.keys(a), Object.keys(e), `${what}: optimiser state entries`);
  for (const k of Object.keys(e)) {
    assert.equal(a[Number(k)]!.step, e[Number(k)]!.step, `${what}: step count of parameter ${k}`);
    for (const [name, t] of Object.entries(e[Number(k)]!.buffers))
      await assertClose(a[Number(k)]!.buffers[name]!, t, rtol, `${what}: ${name} of parameter ${k}`);
  }
}

/** Eager, compiled (re-recorded every call) and replayed training of twin models over the same batches. */
async function threeWay(
  make: () => nn.Module,
  makeOpt: (m: nn.Module) => optim.Optimizer,
  data: readonly Batch[],
  onStep?: (opt: optim.Optimizer, i: number) => void,
  options: CompileOptions = {},
) {
  const [a, b] = twins(make);
  const [, c] = twins(make);
  const runs = (
    [
      ["eager", a],
      ["compiled", b],
      ["replay", c],
    ] as const
  ).map(([mode, model]) => {
    const opt = makeOpt(model);
    return train(model, opt, data, mode, onStep && ((i) => onStep(opt, i)), options);
  });
  const [eager, compiled, replay] = runs as [Run, Run, Run];
  await assertSameTraining(replay, compiled, 1e-6, "replay vs re-recorded");
  await assertSameTraining(replay, eager, 1e-6, "replay vs eager");
  return replay.step!;
}

const dropoutMlp = () => new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Dropout(0.25), new nn.Linear(16, 4));

test("replay equals re-recorded and eager over 10 steps: MLP with dropout, SGD with momentum", async () => {
  const step = await threeWay(dropoutMlp, (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), batches(10, [8, 12], 4));
  // Step 1 has no momentum buffers; steps 2 and 3 agree, so steps 4..10 run without calling the function.
  assert.equal(step.stats.recordings, 3, step.report());
  assert.equal(step.stats.replays, 7, step.report());
  assert.match(step.report(), /10 calls, 7 replayed, 3 recorded/);
});

test("replay equals re-recorded and eager over 10 steps: CNN with batch norm, Adam (bias correction changes every step)", async () => {
  const step = await threeWay(cnn, (m) => new optim.Adam(m.parameters(), { lr: 0.01 }), batches(10, [6, 1, 8, 8], 3));
  assert.equal(step.stats.replays, 7, step.report());
});

test("replay equals re-recorded and eager over 10 steps: LSTM, AdamW", async () => {
  const step = await threeWay(
    () => new LstmClassifier(),
    (m) => new optim.AdamW(m.parameters(), { lr: 0.02 }),
    batches(10, [4, 5, 3], 2),
  );
  assert.equal(step.stats.replays, 7, step.report());
});

test("a learning rate changed between replayed steps is honoured (a scheduler, and a direct set)", async () => {
  const step = await threeWay(
    dropoutMlp,
    (m) => new optim.Adam(m.parameters(), { lr: 0.02 }),
    batches(10, [8, 12], 4),
    (opt, i) => {
      if (i === 5) opt.lr = 0.005;
      if (i === 7) opt.lr = 0.05;
    },
  );
  assert.equal(step.stats.replays, 7, step.report());
});

test("a scheduler stepped inside the compiled step advances on every replay", async () => {
  const data = batches(10, [8, 12], 4);
  const run = (mode: "eager" | "replay") => {
    const [, model] = twins(dropoutMlp);
    const opt = new optim.SGD(model.parameters(), { lr: 0.2, momentum: 0.5 });
    const scheduler = new optim.StepLR(opt, 2, 0.5);
    const body = (x: Tensor, y: Tensor) => {
      const loss = trainStep(model, opt)(x, y);
      scheduler.step();
      return loss;
    };
    const step = mode === "replay" ? compile(body, { replay: true }) : body;
    manualSeed(5);
    return { model, scheduler, step, losses: data.map(([x, y]) => step(x, y)) };
  };
  const [eager, replay] = [run("eager"), run("replay")];
  for (let i = 0; i < data.length; i++) await assertClose(replay.losses[i]!, eager.losses[i]!, 1e-6, `loss at step ${i}`);
  await assertClose(replay.model.parameters()[0]!, eager.model.parameters()[0]!, 1e-6, "first weight");
  assert.equal(replay.scheduler.lastEpoch, 10);
  assert.deepEqual(replay.scheduler.getLastLr(), eager.scheduler.getLastLr());
  assert.equal((replay.step as ReturnType<typeof compile>).stats.replays, 7);
});

test("OneCycleLR cycling Adam's betas outside the step makes each call record (guarded), matching eager", async () => {
  const step = await threeWay(
    dropoutMlp,
    (m) => {
      const opt = new optim.Adam(m.parameters(), { lr: 0.01 });
      schedulers.set(opt, new optim.OneCycleLR(opt, 0.05, { totalSteps: 20 }));
      return opt;
    },
    batches(10, [8, 12], 4),
    (opt, i) => i > 0 && schedulers.get(opt)!.step(),
  );
  assert.equal(step.stats.replays, 0, step.report());
});

const schedulers = new Map<optim.Optimizer, optim.OneCycleLR>();

test("an optimiser option changed between replayed steps (Adam's betas) makes the next call record again", async () => {
  const step = await threeWay(
    dropoutMlp,
    (m) => new optim.Adam(m.parameters(), { lr: 0.01 }),
    batches(10, [8, 12], 4),
    (opt, i) => {
      if (i === 6) (opt.paramGroups[0] as unknown as { betas: [number, number] }).betas = [0.8, 0.99];
    },
  );
  // Calls 4-6 replay; call 7 sees the new betas and records, call 8 confirms, calls 9-10 replay.
  assert.equal(step.stats.replays, 5, step.report());
});

test("a new batch size records its own step; the old one replays again", async () => {
  const [eagerModel, model] = twins(dropoutMlp);
  const eagerStep = trainStep(eagerModel, new optim.SGD(eagerModel.parameters(), { lr: 0.1 }));
  const step = compile(trainStep(model, new optim.SGD(model.parameters(), { lr: 0.1 })), { replay: true });
  const sizes = [8, 8, 8, 8, 5, 8, 8, 8, 5, 5, 5];
  const data = sizes.map((n) => batches(1, [n, 12], 4)[0]!);
  for (const [x, y] of data) {
    manualSeed(1);
    const e = eagerStep(x, y);
    manualSeed(1);
    await assertClose(step(x, y), e, 1e-6, `loss at batch ${x.shape[0]}`);
  }
  // 8: recorded twice, replayed twice. 5: recorded (new parameter storages). 8: its parameters moved on, so it records
  // twice more before replaying; then 5 likewise. Every call gave the eager loss.
  assert.equal(step.stats.replays, 4, step.report());
  assert.equal(step.stats.recordings, 7, step.report());
});

test("a passing verify check records and goes on replaying, with the same results", async () => {
  const step = await threeWay(dropoutMlp, (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), batches(10, [8, 12], 4), undefined, {
    verifyEvery: 2,
  });
  // 1-3 record; 4-5 replay; 6 checks (records); 7-8 replay; 9 checks; 10 replays.
  assert.deepEqual([step.stats.recordings, step.stats.replays], [5, 5], step.report());
});

test("the verify check catches a step whose ops change while it is replayed, naming the function", () => {
  let extra = false;
  const x = randn([3, 4]);
  const addsMore = compile(
    function addsMore(input: Tensor) {
      const y = input.mul(2);
      return extra ? y.add(1) : y;
    },
    { replay: true, verifyEvery: 3 },
  );
  for (let i = 0; i < 4; i++) addsMore(x).dispose();
  assert.equal(addsMore.stats.replays, 2);
  extra = true;
  addsMore(x).dispose(); // a replay cannot see the host flag: this is the third replay since the check
  assert.throws(() => addsMore(x), /compile\(addsMore\): its ops changed between calls \(first difference: .*\); replay needs a static step/);
});

test("a tensor read from a closure that is reassigned each call is never replayed, and each call is right", async () => {
  const model = new nn.Linear(4, 2);
  let x = randn([3, 4]);
  const forward = compile(() => model.forward(x), { replay: true });
  for (let i = 0; i < 4; i++) {
    x = randn([3, 4]);
    await assertClose(forward(), model.forward(x), 1e-6, `output ${i}`);
  }
  assert.equal(forward.stats.replays, 0);
  assert.match(forward.report(), /not replaying: it reads a tensor \(float32, 48 bytes on cpu\) that is not an argument/);
});

test("a gradient freed outside the step makes replay record again instead of writing where nobody reads", async () => {
  const [eagerModel, model] = twins(dropoutMlp);
  const eagerOpt = new optim.SGD(eagerModel.parameters(), { lr: 0.1 });
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const [x, y] = batches(1, [8, 12], 4)[0]!;
  const eagerStep = trainStep(eagerModel, eagerOpt);
  const step = compile(trainStep(model, opt), { replay: true });
  for (let i = 0; i < 6; i++) {
    manualSeed(2);
    eagerStep(x, y).dispose();
    manualSeed(2);
    step(x, y).dispose();
    if (i >= 3) opt.zeroGrad();
  }
  await assertClose(model.parameters()[0]!, eagerModel.parameters()[0]!, 1e-6, "first weight");
  // Calls 1-2 record, 3-4 replay; from then on each call finds its gradient slot freed and records.
  assert.deepEqual([step.stats.recordings, step.stats.replays], [4, 2], step.report());
});

test("parameters and optimiser state loaded between replays are used: the next call records", async () => {
  const [eagerModel, model] = twins(dropoutMlp);
  const [eagerOpt, opt] = [new optim.Adam(eagerModel.parameters(), { lr: 0.01 }), new optim.Adam(model.parameters(), { lr: 0.01 })];
  const [eagerStep, step] = [trainStep(eagerModel, eagerOpt), compile(trainStep(model, opt), { replay: true })];
  const data = batches(8, [8, 12], 4);
  manualSeed(9);
  const saved = { model: eagerModel.stateDict(), opt: eagerOpt.stateDict() };
  for (const [i, [x, y]] of data.entries()) {
    if (i === 5) {
      // Both twins load the same weights and the optimiser state saved before the first step (no moments yet).
      eagerModel.loadStateDict(saved.model);
      model.loadStateDict(saved.model);
      eagerOpt.loadStateDict(saved.opt);
      opt.loadStateDict(saved.opt);
    }
    manualSeed(i);
    const e = eagerStep(x, y);
    manualSeed(i);
    await assertClose(step(x, y), e, 1e-6, `loss at step ${i}`);
  }
  // 1-3 record (no moments, then moments), 4-5 replay; the load replaces the state storages, so 6 records
  // (again without moments), 7 records, 8 records and confirms.
  assert.deepEqual([step.stats.recordings, step.stats.replays], [6, 2], step.report());
});

test("replayed steps return valid tensors and leave no tensors or bytes behind", async () => {
  const [, model] = twins(dropoutMlp);
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const [x, y] = batches(1, [8, 12], 4)[0]!;
  const step = compile(trainStep(model, opt), { replay: true });
  for (let i = 0; i < 4; i++) step(x, y).dispose();
  const before = memory("cpu")[0]!;
  for (let i = 0; i < 10; i++) {
    const loss = step(x, y);
    assert.ok(Number.isFinite(await loss.item()));
    loss.dispose();
  }
  const after = memory("cpu")[0]!;
  assert.equal(step.stats.replays, 11, step.report());
  assert.equal(after.tensors, before.tensors, "live tensors");
  assert.equal(after.buffers, before.buffers, "live buffers");
  assert.equal(after.bytes, before.bytes, "live bytes");
});

test("a returned loss keeps its value when later calls replay", async () => {
  const [, model] = twins(dropoutMlp);
  const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
  const step = compile(trainStep(model, opt), { replay: true });
  const data = batches(6, [8, 12], 4);
  const losses = data.map(([x, y]) => step(x, y));
  const values = await Promise.all(losses.map((l) => l.item()));
  assert.equal(step.stats.replays, 4);
  assert.equal(new Set(values).size, 6, `six different losses: ${values}`);
  for (const [x, y] of data) step(x, y).dispose();
  assert.deepEqual(await Promise.all(losses.map((l) => l.item())), values);
});

test("a gradient the step both keeps and returns stays the parameter's gradient under replay", async () => {
  const [eagerModel, model] = twins(() => new nn.Linear(12, 4));
  const withGrad = (m: nn.Linear, opt: optim.Optimizer) => (x: Tensor, y: Tensor) => {
    opt.zeroGrad();
    const loss = crossEntropy(m.forward(x), y);
    loss.backward();
    opt.step();
    return { loss, grad: m.weight.grad! };
  };
  const eagerStep = withGrad(eagerModel, new optim.SGD(eagerModel.parameters(), { lr: 0.1 }));
  const step = compile(withGrad(model, new optim.SGD(model.parameters(), { lr: 0.1 })), { replay: true });
  for (const [x, y] of batches(6, [8, 12], 4)) {
    const e = eagerStep(x, y);
    const c = step(x, y);
    await assertClose(c.grad, e.grad, 1e-6, "returned gradient");
    await assertClose(model.weight.grad!, e.grad, 1e-6, "the parameter's gradient");
    await assertClose(c.loss, e.loss, 1e-6, "loss");
  }
  assert.equal(step.stats.replays, 4, step.report());
});

test("a compiled module's forward replays under noGrad on new inputs, and never with an autograd graph to return", async () => {
  const model = new nn.Sequential(new nn.Linear(5, 7), new nn.Tanh(), new nn.Linear(7, 2));
  const forward = compile(model, { replay: true });
  for (let i = 0; i < 5; i++) {
    const x = randn([4, 5]);
    const [c, e] = noGrad(() => [forward(x) as Tensor, model.forward(x) as Tensor]);
    await assertClose(c, e, 1e-6, `output ${i}`);
  }
  assert.equal(forward.stats.replays, 3, forward.report());
  const x = randn([4, 5]);
  for (let i = 0; i < 3; i++) (forward(x) as Tensor).dispose();
  assert.equal(forward.stats.replays, 3, "with gradients on, the output carries a graph: every call records");
});

test("reset() gives back the state a replaying function holds once the model and optimiser are disposed", () => {
  const bytes = () => memory("cpu")[0]?.bytes ?? 0;
  const before = bytes();
  const [twin, model] = twins(dropoutMlp);
  twin.dispose();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const [x, y] = batches(1, [8, 12], 4)[0]!;
  const step = compile(trainStep(model, opt), { replay: true });
  for (let i = 0; i < 5; i++) step(x, y).dispose();
  assert.equal(step.stats.replays, 2);
  for (const t of [x, y]) t.dispose();
  opt.dispose();
  model.dispose();
  assert.ok(bytes() > before, "replay still holds the parameters, gradients and moments it writes");
  step.reset();
  assert.equal(bytes(), before);
});

test("a step returning its argument returns this call's argument when replayed", () => {
  const passThrough = compile((x: Tensor) => [x.mul(2), x], { replay: true });
  for (let i = 0; i < 4; i++) {
    const x = randn([2, 3]);
    const [doubled, same] = passThrough(x) as [Tensor, Tensor];
    assert.equal(same, x, `call ${i}`);
    doubled.dispose();
  }
  assert.equal(passThrough.stats.replays, 2);
});

test("verifyEvery must be a whole number", () => {
  assert.throws(() => compile((t: Tensor) => t, { replay: true, verifyEvery: -1 }), /verifyEvery must be a whole number >= 0, got -1/);
});
