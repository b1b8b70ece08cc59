// Deploy to the NPU in int8: train a small CNN on the CPU, capture it as a graph, calibrate it on
// training batches (per-channel weight scales, per-tensor activation scales), quantise it and run
// the test set on the simulated NPU. The Profiler tab shows the chip's kernels with simulated
// cycles, DMA bytes and on-chip memory, and which ops fell back to the CPU (Profiler and console).
import {
  nn,
  optim,
  tensor,
  tidy,
  crossEntropy,
  log,
  loadFashionMnist,
  DataLoader,
  batchShape,
  loadOptional,
  loadDevice,
  setModel,
  showGraph,
  fallbackReport,
} from "polychip";

const STEPS = 100;
const { trace } = await loadOptional("graph"); // each throws FeatureUnavailableError (with the reason) when its package is missing
const { calibrate, quantizeGraph } = await loadOptional("deploy");
const { createSession } = await loadOptional("runtime");
await loadDevice("npu-sim");

const data = await loadFashionMnist({ trainLimit: STEPS * 32, testLimit: 500 });
const model = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1, device: "cpu" }),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(8 * 14 * 14, 10, { device: "cpu" }),
);
const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
let step = 0;
for (const batch of new DataLoader(data.train, { batchSize: 32, shuffle: true, seed: 1, standardize: true })) {
  const x = tensor(batch.x, { shape: batchShape(batch.size, "image"), device: "cpu" });
  const y = tensor(batch.y, { device: "cpu" });
  const loss = tidy(() => {
    const l = crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    return l.detach();
  });
  log(step++, { loss: await loss.item() }, { samples: batch.size });
  for (const t of [x, y, loss]) t.dispose();
}

model.eval();
const example = tensor(new Float32Array(784), { shape: [1, 1, 28, 28], device: "cpu" });
setModel(model, example);
const graph = await trace(model, [example], { dynamicBatch: true });
const calibrationBatches = [...new DataLoader(data.train, { batchSize: 64, standardize: true })]
  .slice(0, 8)
  .map((b) => ({ input: { data: b.x, shape: batchShape(b.size, "image") } }));
const int8 = quantizeGraph(graph, await calibrate(graph, calibrationBatches));
showGraph(int8, "deployed int8"); // the Graph tab offers it beside the float model
console.log(`quantised: ${int8.nodes.length} nodes (${[...new Set(int8.nodes.map((n: { op: string }) => n.op))].join(", ")})`);

async function accuracy(g: unknown, device: string): Promise<number> {
  const session = await createSession(g, { device });
  let correct = 0;
  for (const b of new DataLoader(data.test, { batchSize: 100, standardize: true })) {
    const outputs = await session.run({ input: { data: b.x, shape: batchShape(b.size, "image") } });
    const logits = Object.values(outputs)[0] as { data: Float32Array };
    for (let i = 0; i < b.size; i++) {
      const row = logits.data.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === b.y[i]) correct++;
    }
  }
  session.dispose?.();
  return (100 * correct) / data.test.count;
}

const fp32 = await accuracy(graph, "cpu");
const npu = await accuracy(int8, "npu-sim");
console.log(`float32 on cpu: ${fp32.toFixed(1)}% · int8 on npu-sim: ${npu.toFixed(1)}% on ${data.test.count} test images`);
// Eager ops straight on the NPU: every HAL primitive has a kernel on the chip (tanh runs on its
// vector unit), so nothing falls back; anything that did would be counted and listed below.
const probe = tensor(
  Float32Array.from({ length: 64 }, (_, i) => i / 32 - 1),
  { shape: [4, 16], device: "npu-sim" },
);
const squashed = probe.tanh().add(probe).relu();
console.log(
  "eager on npu-sim:",
  Array.from((await squashed.data()).slice(0, 4))
    .map((v) => v.toFixed(3))
    .join(", "),
  "…",
);
for (const f of fallbackReport()) console.log(`fell back to the cpu: ${f.op} (${f.dtype}) ×${f.count} — ${f.reason}`);
