import assert from "node:assert/strict";
import "../testing/first-party-devices.ts";
import { after, before, test } from "node:test";
import { isWebGpuAvailable } from "@polychip/device-webgpu";
import { getDeviceEntry } from "../core/devices.ts";
import { compile, manualSeed, nn, optim, randn, removeDevice, setDefaultDevice, tensor, tidy, useDevice, type Tensor } from "../index.ts";
import {
  batchOf,
  checkFloat16Epilogues,
  cnn as cnnWithBatchNorm,
  compareTraining,
  gptBatch,
  LstmClassifier,
  mlp,
  plainCnn as cnn,
  ResidualBlock,
  TinyGpt,
  trainStep,
} from "../testing/compile-twins.ts";

const NO_WEBGPU = (await isWebGpuAvailable()) ? false : "no WebGPU adapter (install chromium and libvulkan1 for Dawn on SwiftShader)";
before(async () => {
  if (!NO_WEBGPU) {
    await useDevice("webgpu");
    setDefaultDevice("webgpu");
  }
});
after(() => {
  setDefaultDevice("cpu");
  removeDevice("webgpu");
});

const dispatches = () => (getDeviceEntry("webgpu").device as unknown as { stats: { dispatches: number } }).stats.dispatches;

test("a compiled CNN training step on webgpu equals eager within 1e-4 with at least 3x fewer dispatches", { skip: NO_WEBGPU }, async () => {
  manualSeed(2);
  const [eagerModel, compiledModel, unfusedGemmModel] = [cnn(), cnn(), cnn()];
  compiledModel.loadStateDict(eagerModel.stateDict());
  unfusedGemmModel.loadStateDict(eagerModel.stateDict());
  const stepOf = (model: nn.Module) => trainStep(model, new optim.Adam(model.parameters(), { lr: 0.01 }));
  const eager = stepOf(eagerModel);
  const compiled = compile(stepOf(compiledModel));
  const withoutEpilogues = compile(stepOf(unfusedGemmModel), { epilogues: false });
  const x = randn([6, 1, 8, 8]);
  const y = tensor([0, 1, 2, 0, 1, 2], { dtype: "int32" });
  const counts = { eager: 0, compiled: 0, withoutEpilogues: 0 };
  const run = async (key: keyof typeof counts, step: () => Tensor) => {
    const start = dispatches();
    const loss = step();
    const value = (await loss.data())[0]!;
    counts[key] = dispatches() - start;
    loss.dispose();
    return value;
  };
  for (let i = 0; i < 4; i++) {
    const lossEager = await run("eager", () => tidy(() => eager(x, y)));
    for (const [key, step] of [
      ["compiled", compiled],
      ["withoutEpilogues", withoutEpilogues],
    ] as const) {
      const loss = await run(key, () => step(x, y));
      assert.ok(Math.abs(loss - lossEager) <= 1e-4 * Math.max(1, Math.abs(lossEager)), `${key} step ${i}: ${loss} vs ${lossEager}`);
    }
  }
  const twin = new Map(eagerModel.namedParameters());
  for (const [name, p] of compiledModel.namedParameters()) {
    const [a, e] = [await p.data(), await twin.get(name)!.data()];
    a.forEach((v, i) => assert.ok(Math.abs(v - e[i]!) <= 1e-4 * Math.max(1, Math.abs(e[i]!)), `${name}[${i}]: ${v} vs ${e[i]}`));
  }
  console.log(
    `# dispatches per CNN training step (Adam) on webgpu: eager ${counts.eager}, compiled ${counts.compiled} (${(counts.eager / counts.compiled).toFixed(2)}x fewer; ` +
      `${counts.withoutEpilogues} without GEMM epilogues)`,
  );
  // Issue 13's goal, countable on SwiftShader: fused elementwise chains, scalars written from the host.
  assert.ok(counts.eager >= 3 * counts.compiled, `compiled ${counts.compiled} dispatches, eager ${counts.eager}`);
  // The conv's relu, the linear layers' bias and relu, the relu masks of the backward pass: one dispatch with their GEMM.
  assert.ok(counts.compiled < counts.withoutEpilogues, `with epilogues ${counts.compiled}, without ${counts.withoutEpilogues}`);
});

// Issue 13: compiled equals eager on webgpu within 1e-4 for each model it names (3 steps each on SwiftShader).
const MODELS: [string, () => nn.Module, (m: nn.Module) => optim.Optimizer, () => [Tensor, Tensor]][] = [
  ["MLP (Adam)", mlp, (m) => new optim.Adam(m.parameters(), { lr: 0.01 }), () => batchOf([8, 12], 4)],
  ["CNN with batch norm (SGD momentum)", cnnWithBatchNorm, (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), () => batchOf([6, 1, 8, 8], 3)],
  ["ResNet block", () => new ResidualBlock(), (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), () => batchOf([4, 3, 6, 6], 4)],
  ["tiny GPT (AdamW)", () => new TinyGpt(), (m) => new optim.AdamW(m.parameters(), { lr: 0.01 }), gptBatch],
  // SGD here: one shader may contract a multiply-add that separate kernels round in between, and
  // Adam's m/sqrt(v) turns such a last-bit difference in a near-zero LSTM gradient into a visible step.
  ["LSTM (SGD momentum)", () => new LstmClassifier(), (m) => new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 }), () => batchOf([4, 5, 3], 2)],
];

for (const [name, make, makeOpt, batch] of MODELS) {
  test(`a compiled ${name} training step on webgpu equals eager within 1e-4`, { skip: NO_WEBGPU }, async () => {
    await compareTraining(make, makeOpt, batch(), { steps: 3, rtol: 1e-4 });
  });
}

test("a replayed CNN step with batch norm (Adam) on webgpu equals eager within 1e-4", { skip: NO_WEBGPU }, async () => {
  const step = await compareTraining(cnnWithBatchNorm, (m) => new optim.Adam(m.parameters(), { lr: 0.01 }), batchOf([6, 1, 8, 8], 3), {
    steps: 6,
    rtol: 1e-4,
    compileOptions: { replay: true },
  });
  // Steps 1-3 record (the first without Adam's moments); 4-6 run the plan without calling the step.
  assert.equal(step.stats.replays, 3, step.report());
});

test("float16 conv2d and matmul epilogues on webgpu equal the eager float16 ops bit for bit", { skip: NO_WEBGPU }, async () => {
  await checkFloat16Epilogues();
});
