import assert from "node:assert/strict";
import { compile, conv2d, crossEntropy, manualSeed, matmul, nn, optim, randn, tensor, type CompileOptions, type Tensor } from "../index.ts";

/**
 * Shared by the compile tests on cpu and webgpu: twin models (one trained eagerly, one through
 * `compile`) and the models issue 13 names (MLP, CNN, ResNet block, tiny GPT, LSTM).
 */

/** Two identical models: the eager twin and the one whose step is compiled. */
export function twins<M extends nn.Module>(make: () => M): [M, M] {
  manualSeed(7);
  const a = make();
  const b = make();
  b.loadStateDict(a.stateDict());
  return [a, b];
}

export function trainStep(model: nn.Module, opt: optim.Optimizer) {
  return (x: Tensor, y: Tensor) => {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
    return loss;
  };
}

export async function assertClose(actual: Tensor, expected: Tensor, rtol: number, what: string) {
  const [a, e] = [await actual.data(), await expected.data()];
  assert.equal(a.length, e.length, what);
  for (let i = 0; i < a.length; i++) {
    const tol = rtol * Math.max(1, Math.abs(e[i]!));
    assert.ok(Math.abs(a[i]! - e[i]!) <= tol, `${what}[${i}]: compiled ${a[i]} vs eager ${e[i]}`);
  }
}

/** A batch of `input` random values and labels cycling through `classes`. */
export function batchOf(input: number[], classes: number): [Tensor, Tensor] {
  manualSeed(3);
  return [
    randn(input),
    tensor(
      Array.from({ length: input[0]! }, (_, i) => i % classes),
      { dtype: "int32" },
    ),
  ];
}

/** Next-character targets for TinyGpt: tokens [2, 6] and their shifted targets. */
export function gptBatch(): [Tensor, Tensor] {
  const tokens = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2], { dtype: "int32" }).reshape([2, 6]);
  return [tokens, tensor([2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3], { dtype: "int32" })];
}

/** Trains both twins `steps` times on (x, y); losses, parameters, gradients and buffers must agree within rtol. */
export async function compareTraining(
  make: () => nn.Module,
  makeOpt: (m: nn.Module) => optim.Optimizer,
  [x, y]: [Tensor, Tensor],
  { steps = 10, rtol = 1e-5, compileOptions = {} as CompileOptions } = {},
) {
  const [eagerModel, compiledModel] = twins(make);
  const eagerStep = trainStep(eagerModel, makeOpt(eagerModel));
  const step = compile(trainStep(compiledModel, makeOpt(compiledModel)), compileOptions);
  for (let i = 0; i < steps; i++) {
    const [le, lc] = [eagerStep(x, y), step(x, y)];
    await assertClose(lc, le, rtol, `loss at step ${i}`);
    le.dispose();
    lc.dispose();
  }
  const eagerParams = new Map(eagerModel.namedParameters());
  for (const [name, p] of compiledModel.namedParameters()) {
    const twin = eagerParams.get(name)!;
    await assertClose(p, twin, rtol, `parameter ${name}`);
    await assertClose(p.grad!, twin.grad!, rtol, `gradient of ${name}`);
  }
  const eagerBuffers = new Map(eagerModel.namedBuffers());
  for (const [name, b] of compiledModel.namedBuffers()) await assertClose(b, eagerBuffers.get(name)!, rtol, `buffer ${name}`);
  return step;
}

export const mlp = () => new nn.Sequential(new nn.Linear(12, 16), new nn.GELU(), new nn.Linear(16, 4));

/**
 * The conv before batch norm has no bias, as in every ResNet: batch norm subtracts it again, so its
 * gradient is rounding noise, which Adam scales up to full-size steps that differ with the order
 * of the sums (eager's primitive formula against the compiled batchNormTraining composite).
 */
export const cnn = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(4 * 4 * 4, 3),
  );

/** The CNN of the bench and the dispatch count: conv, relu, pool, two linear layers (every GEMM followed by an epilogue). */
export const plainCnn = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(4 * 4 * 4, 16),
    new nn.ReLU(),
    new nn.Linear(16, 3),
  );

export class TinyGpt extends nn.Module {
  embed = new nn.Embedding(11, 16);
  block = new nn.TransformerEncoderLayer(16, 2, { dimFeedforward: 32, dropout: 0, activation: "gelu", normFirst: true, batchFirst: true });
  norm = new nn.LayerNorm([16]);
  head = new nn.Linear(16, 11);
  forward(tokens: Tensor): Tensor {
    const h = this.block.encode(this.embed.forward(tokens), { isCausal: true });
    return this.head.forward(this.norm.forward(h)).reshape([-1, 11]);
  }
}

export class LstmClassifier extends nn.Module {
  lstm = new nn.LSTM(3, 8, { batchFirst: true });
  head = new nn.Linear(8, 2);
  forward(x: Tensor): Tensor {
    const { h } = this.lstm.forwardWithState(x);
    return this.head.forward(h.reshape([x.shape[0]!, 8]));
  }
}

export class ResidualBlock extends nn.Module {
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

/**
 * A float16 conv2d and matmul, each followed by elementwise ops, compiled and run eagerly on the
 * default device: both GEMMs take their epilogues, and the results must be equal bit for bit
 * (the epilogue rounds the product to half before its program, as the unfused GEMM stores it).
 */
export async function checkFloat16Epilogues(): Promise<void> {
  const f = (x: Tensor, w: Tensor, b: Tensor, m: Tensor) => {
    const y = conv2d(x, w, b, { padding: 1 }).relu().mul(2);
    return matmul(y.reshape([2, -1]), m)
      .add(1)
      .tanh();
  };
  const g = compile(f);
  manualSeed(5);
  const args = [randn([2, 3, 5, 5]), randn([4, 3, 3, 3]), randn([4]), randn([100, 3])].map((t) => t.cast("float16")) as [Tensor, Tensor, Tensor, Tensor];
  const [got, eager] = [g(...args), f(...args)];
  assert.equal(got.dtype, "float16");
  assert.deepEqual(await got.data(), await eager.data());
  assert.equal(g.stats.lastPlan!.epilogues, 2, g.report());
}
