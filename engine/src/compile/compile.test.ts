import assert from "node:assert/strict";
import { test } from "node:test";
import {
  batchNorm,
  compile,
  manualSeed,
  memory,
  nn,
  noGrad,
  optim,
  profiler,
  randn,
  resetPeakMemory,
  setDefaultDevice,
  tensor,
  tidy,
  type Tensor,
} from "../index.ts";
import {
  assertClose,
  batchOf,
  cnn,
  compareTraining,
  gptBatch,
  LstmClassifier,
  mlp,
  plainCnn,
  ResidualBlock,
  TinyGpt,
  trainStep,
} from "../testing/compile-twins.ts";

setDefaultDevice("cpu");

test("a compiled MLP training step (Adam) equals eager for 10 steps: losses, gradients, parameters", async () => {
  const step = await compareTraining(mlp, (m) => new optim.Adam(m.parameters(), { lr: 0.01 }), batchOf([8, 12], 4));
  // The first step has no Adam moments yet; from the second on the structure repeats.
  assert.equal(step.stats.compiles, 2);
  assert.equal(step.stats.calls, 10);
  // Each parameter's Adam update (the parameter and both moments) overwrites its old buffers.
  assert.ok(step.stats.lastPlan!.inPlaceSteps >= 4, step.report());
});

test("a compiled CNN step with batch norm (SGD momentum) equals eager", async () => {
  await compareTraining(cnn, (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), batchOf([6, 1, 8, 8], 3), { steps: 5 });
});

test("a compiled CNN step (Adam) with GEMM epilogues equals eager for 10 steps and launches fewer kernels", async () => {
  const opt = (m: nn.Module) => new optim.Adam(m.parameters(), { lr: 0.01 });
  const batch = batchOf([6, 1, 8, 8], 3);
  const step = await compareTraining(plainCnn, opt, batch);
  const without = await compareTraining(plainCnn, opt, batch, { steps: 3, compileOptions: { epilogues: false } });
  // Forward: conv+relu, linear+bias+relu, linear+bias; backward: the relu mask after a matmul; the weight gradients with their Adam updates.
  assert.ok(step.stats.lastPlan!.epilogues >= 4, step.report());
  assert.ok(step.stats.lastPlan!.launches < without.stats.lastPlan!.launches, `${step.report()}\n${without.report()}`);
});

test("a new batch size builds a new plan; a repeated one reuses it", () => {
  const model = new nn.Linear(4, 2);
  const forward = compile(model);
  forward(randn([3, 4])).dispose();
  forward(randn([3, 4])).dispose();
  assert.equal(forward.stats.compiles, 1);
  forward(randn([5, 4])).dispose();
  assert.equal(forward.stats.compiles, 2);
  forward(randn([3, 4])).dispose();
  assert.equal(forward.stats.compiles, 2);
});

test("reading a value inside a compiled function is a clear error and changes nothing", async () => {
  const p = nn.parameter(tensor([1, 2, 3]));
  const bad = compile((x: Tensor) => {
    const y = x.mul(2);
    y.dataSync();
    return y;
  });
  assert.throws(() => bad(p), /compile: a tensor made by 'mul' is read or moved while its step is being captured/);
  assert.deepEqual(Array.from(await p.data()), [1, 2, 3]);
});

test("an async function is refused", () => {
  const f = compile(async (x: Tensor) => x.add(1));
  assert.throws(() => f(tensor([1])), /returned a Promise; a compiled function must be synchronous/);
});

test("the compiled forward of a module equals eager and reports its plan", async () => {
  const model = new nn.Sequential(new nn.Linear(5, 7), new nn.Tanh(), new nn.Linear(7, 2));
  const x = randn([4, 5]);
  const f = compile(model);
  await assertClose(f(x), model.forward(x) as Tensor, 1e-6, "output");
  assert.match(f.report(), /ops recorded -> \d+ launches/);
});

test("a compiled tiny GPT step (causal attention, layer norm, GELU; AdamW) equals eager", async () => {
  await compareTraining(
    () => new TinyGpt(),
    (m) => new optim.AdamW(m.parameters(), { lr: 0.01 }),
    gptBatch(),
  );
});

test("a compiled LSTM step equals eager", async () => {
  await compareTraining(
    () => new LstmClassifier(),
    (m) => new optim.Adam(m.parameters(), { lr: 0.02 }),
    batchOf([4, 5, 3], 2),
  );
});

test("a compiled ResNet block step (batch norm, residual add) equals eager", async () => {
  await compareTraining(
    () => new ResidualBlock(),
    (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }),
    batchOf([4, 3, 6, 6], 4),
  );
});

test("a compiled ResNet block step (Adam) equals eager for 10 steps, batch norm running as its composites (bn1 with its relu)", async () => {
  const opt = (m: nn.Module) => new optim.Adam(m.parameters(), { lr: 0.01 });
  const [x, y] = batchOf([4, 3, 6, 6], 4);
  // compareTraining also checks the running mean and variance (the model's buffers).
  const step = await compareTraining(() => new ResidualBlock(), opt, [x, y]);
  const kernelsOf = (run: () => Tensor) => {
    profiler.start();
    run().dispose();
    return profiler.stop().map((e) => e.name);
  };
  const compiled = kernelsOf(() => step(x, y));
  // bn1 feeds a relu alone: one batchNormTrainingRelu, no relu kernel; bn2 feeds the residual add.
  assert.equal(compiled.filter((k) => k === "batchNormTraining").length, 1);
  assert.equal(compiled.filter((k) => k === "batchNormTrainingRelu").length, 1);
  assert.equal(compiled.filter((k) => k === "relu").length, 0);
  // Backward: bn1's gradient with its relu mask in one batchNormTrainingReluGrad.
  assert.equal(compiled.filter((k) => k === "batchNormTrainingGrad").length, 1);
  assert.equal(compiled.filter((k) => k === "batchNormTrainingReluGrad").length, 1);
  const model = new ResidualBlock();
  const eager = kernelsOf(() => tidy(() => trainStep(model, opt(model))(x, y)));
  assert.ok(!eager.some((k) => k.startsWith("batchNormTraining")), "eager code keeps the primitive formula");
});

test("the compiled batch-norm gradient writes dx over the gradient it reads last, and equals eager", async () => {
  const x = randn([4, 3, 5, 5]);
  const upstream = randn([4, 3, 5, 5]);
  const weight = randn([3]);
  const bias = randn([3]);
  const gradOf = () => {
    const input = x.mul(1).detach().requiresGrad_();
    // No running statistics: the incoming gradient, a step-made buffer read last by the batch-norm gradient, is the only in-place candidate.
    batchNorm(input, undefined, undefined, weight, bias, true).backward(upstream.mul(2));
    return input.grad!;
  };
  const step = compile(gradOf);
  await assertClose(step(), tidy(gradOf), 1e-5, "dx");
  assert.equal(step.stats.lastPlan!.inPlaceSteps, 1, step.report());
});

test("compiled inference frees each activation after its last reader: peak memory at least 40% below eager", async () => {
  const model = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.Conv2d(8, 8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(8 * 8 * 8, 10),
  ).eval();
  const x = randn([16, 1, 16, 16]);
  const peakOf = async (run: () => Tensor) => {
    const base = memory("cpu")[0]!.bytes;
    resetPeakMemory("cpu");
    const y = run();
    await y.data();
    const peak = memory("cpu")[0]!.peakBytes - base;
    y.dispose();
    return peak;
  };
  const eager = await peakOf(() => noGrad(() => tidy(() => model.forward(x) as Tensor)));
  const forward = compile(() => noGrad(() => model.forward(x) as Tensor));
  const compiled = await peakOf(forward);
  assert.ok(compiled <= 0.6 * eager, `compiled peak ${compiled} bytes vs eager ${eager}`);
  assert.ok(forward.stats.lastPlan!.peakBytes <= compiled, "the planned peak is what the run needed at most");
});

test("dropout in a compiled step draws the same masks as eager and a new seed each call without re-planning", async () => {
  const model = new nn.Sequential(new nn.Linear(6, 6), new nn.Dropout(0.5));
  const x = randn([4, 6]);
  const f = compile(() => model.forward(x) as Tensor);
  for (let i = 0; i < 3; i++) {
    manualSeed(10 + i);
    const eager = tidy(() => model.forward(x) as Tensor);
    manualSeed(10 + i);
    await assertClose(f(), eager, 1e-6, `call ${i}`);
  }
  assert.equal(f.stats.compiles, 1);
});

test("a function whose structure keeps changing warns once, naming it, and keeps running correctly", async (t) => {
  const warnings: string[] = [];
  t.mock.method(console, "warn", (message: string) => warnings.push(message));
  const f = compile((x: Tensor) => x.mul(2).add(1), { cacheSize: 2, name: "changing" });
  for (const n of [1, 2, 3, 4]) {
    const y = f(randn([n]));
    assert.equal((await y.data()).length, n);
  }
  assert.equal(f.stats.compiles, 4);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /compile\(changing\): more than 2 different step structures/);
});

test("an error thrown mid-step still leaves what ran before it computed, as eager code would", async () => {
  const p = nn.parameter(tensor([1, 2, 3]));
  const f = compile(() => {
    noGrad(() => p.assign(p.mul(10)));
    throw new Error("boom after the update");
  });
  assert.throws(() => f(), /boom after the update/);
  assert.deepEqual(Array.from(await p.data()), [10, 20, 30]);
});
