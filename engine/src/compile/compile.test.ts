import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, crossEntropy, manualSeed, memory, nn, noGrad, optim, randn, resetPeakMemory, setDefaultDevice, tensor, tidy, type Tensor } from "../index.ts";

setDefaultDevice("cpu");

/** Two identical models: the eager twin and the one whose step is compiled. */
function twins<M extends nn.Module>(make: () => M): [M, M] {
  manualSeed(7);
  const a = make();
  const b = make();
  b.loadStateDict(a.stateDict());
  return [a, b];
}

function trainStep(model: nn.Module, opt: optim.Optimizer) {
  return (x: Tensor, y: Tensor) => {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
    return loss;
  };
}

async function assertClose(actual: Tensor, expected: Tensor, rtol: number, what: string) {
  const [a, e] = [await actual.data(), await expected.data()];
  assert.equal(a.length, e.length, what);
  for (let i = 0; i < a.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(e[i]!));
    assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what}[${i}]: compiled ${a[i]} vs eager ${e[i]}`);
  }
}

async function compareTraining(make: () => nn.Module, makeOpt: (m: nn.Module) => optim.Optimizer, input: number[], classes: number, steps = 10) {
  const [eagerModel, compiledModel] = twins(make);
  const eagerStep = trainStep(eagerModel, makeOpt(eagerModel));
  const step = compile(trainStep(compiledModel, makeOpt(compiledModel)));
  manualSeed(3);
  const x = randn(input);
  const y = tensor(
    Array.from({ length: input[0]! }, (_, i) => i % classes),
    { dtype: "int32" },
  );
  for (let i = 0; i < steps; i++) {
    const [le, lc] = [eagerStep(x, y), step(x, y)];
    await assertClose(lc, le, 1e-5, `loss at step ${i}`);
    le.dispose();
    lc.dispose();
  }
  const eagerParams = [...eagerModel.namedParameters()];
  for (const [name, p] of compiledModel.namedParameters()) {
    const twin = eagerParams.find(([n]) => n === name)![1];
    await assertClose(p, twin, 1e-5, `parameter ${name}`);
    await assertClose(p.grad!, twin.grad!, 1e-5, `gradient of ${name}`);
  }
  const eagerBuffers = new Map(eagerModel.namedBuffers());
  for (const [name, b] of compiledModel.namedBuffers()) await assertClose(b, eagerBuffers.get(name)!, 1e-5, `buffer ${name}`);
  return step;
}

test("a compiled MLP training step (Adam) equals eager for 10 steps: losses, gradients, parameters", async () => {
  const step = await compareTraining(
    () => new nn.Sequential(new nn.Linear(12, 16), new nn.GELU(), new nn.Linear(16, 4)),
    (m) => new optim.Adam(m.parameters(), { lr: 0.01 }),
    [8, 12],
    4,
  );
  // The first step has no Adam moments yet; from the second on the structure repeats.
  assert.equal(step.stats.compiles, 2);
  assert.equal(step.stats.calls, 10);
  // Each parameter's Adam update (the parameter and both moments) overwrites its old buffers.
  assert.ok(step.stats.lastPlan!.inPlaceSteps >= 4, step.report());
});

test("a compiled CNN step with batch norm (SGD momentum) equals eager", async () => {
  await compareTraining(
    () =>
      new nn.Sequential(
        new nn.Conv2d(1, 4, 3, { padding: 1 }),
        new nn.BatchNorm2d(4),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(4 * 4 * 4, 3),
      ),
    (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }),
    [6, 1, 8, 8],
    3,
    5,
  );
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

class TinyGpt extends nn.Module {
  embed = new nn.Embedding(11, 16);
  block = new nn.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true });
  norm = new nn.LayerNorm([16]);
  head = new nn.Linear(16, 11);
  forward(tokens: Tensor): Tensor {
    const h = this.block.encode(this.embed.forward(tokens), { isCausal: true });
    return this.head.forward(this.norm.forward(h)).reshape([-1, 11]);
  }
}

class LstmClassifier extends nn.Module {
  lstm = new nn.LSTM(3, 8, { batchFirst: true });
  head = new nn.Linear(8, 2);
  forward(x: Tensor): Tensor {
    const { h } = this.lstm.forwardWithState(x);
    return this.head.forward(h.reshape([x.shape[0]!, 8]));
  }
}

class ResidualBlock extends nn.Module {
  conv1 = new nn.Conv2d(3, 3, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(3);
  conv2 = new nn.Conv2d(3, 3, 3, { padding: 1, bias: false });
  bn2 = new nn.BatchNorm2d(3);
  head = new nn.Linear(3 * 6 * 6, 4);
  forward(x: Tensor): Tensor {
    const y = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    return this.head.forward(y.add(x).relu().reshape([x.shape[0]!, -1]));
  }
}

test("a compiled tiny GPT step (causal attention, layer norm, GELU; AdamW) equals eager", async () => {
  const [eagerModel, compiledModel] = twins(() => new TinyGpt());
  const step = (model: nn.Module, opt: optim.Optimizer) => (tokens: Tensor, targets: Tensor) => {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(tokens) as Tensor, targets);
    loss.backward();
    opt.step();
    return loss;
  };
  const eager = step(eagerModel, new optim.AdamW(eagerModel.parameters(), { lr: 0.01 }));
  const compiled = compile(step(compiledModel, new optim.AdamW(compiledModel.parameters(), { lr: 0.01 })));
  const tokens = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2], { dtype: "int32" }).reshape([2, 6]);
  const targets = tensor([2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3], { dtype: "int32" });
  for (let i = 0; i < 10; i++) await assertClose(compiled(tokens, targets), eager(tokens, targets), 1e-5, `loss ${i}`);
  const twin = new Map(eagerModel.namedParameters());
  for (const [name, p] of compiledModel.namedParameters()) await assertClose(p, twin.get(name)!, 1e-5, name);
});

test("a compiled LSTM step equals eager", async () => {
  manualSeed(5);
  await compareTraining(
    () => new LstmClassifier(),
    (m) => new optim.Adam(m.parameters(), { lr: 0.02 }),
    [4, 5, 3],
    2,
  );
});

test("a compiled ResNet block step (batch norm, residual add) equals eager", async () => {
  await compareTraining(
    () => new ResidualBlock(),
    (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }),
    [4, 3, 6, 6],
    4,
  );
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
