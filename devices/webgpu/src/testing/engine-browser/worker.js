// Bundled by engine-worker.test.ts (esbuild, platform "browser") and run as a dedicated Worker in
// headless Chromium: a small MLP trained a few steps through @polychip/engine on webgpu and on cpu
// from the same weights; the losses, predictions and the devices used are posted back.
// Plain JavaScript on purpose: this package cannot depend on the engine (the engine depends on it),
// so only the test's esbuild config knows where "@polychip/engine" is; tsc never sees this file.
import { crossEntropy, manualSeed, nn, optim, registerPlugin, removeDevice, setDefaultDevice, tensor, tidy } from "@polychip/engine";
import { webgpuPlugin } from "../../index.ts";

const STEPS = 5;
const x = Array.from({ length: 8 * 4 }, (_, i) => Math.sin(i * 0.7));
const y = [0, 1, 2, 0, 1, 2, 0, 1];

function model(device) {
  setDefaultDevice(device);
  const m = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
  setDefaultDevice("cpu");
  return m;
}

async function trainOn(m, device) {
  const opt = new optim.SGD(m.parameters(), { lr: 0.5, momentum: 0.9 });
  const losses = [];
  for (let step = 0; step < STEPS; step++) {
    const loss = tidy(() => {
      const logits = m.forward(tensor(x, { shape: [8, 4], device }));
      const l = crossEntropy(logits, tensor(Int32Array.from(y), { shape: [8], device }));
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.detach();
    });
    losses.push(await loss.item());
    loss.dispose();
  }
  const predicted = tidy(() => m.forward(tensor(x, { shape: [8, 4], device })).argmax(1));
  const result = { losses, predicted: Array.from(await predicted.data()), device: predicted.device };
  predicted.dispose();
  opt.dispose();
  return result;
}

async function run() {
  const gpu = await registerPlugin(webgpuPlugin);
  manualSeed(7);
  const onCpu = model("cpu");
  const onGpu = model("webgpu");
  onGpu.loadStateDict(onCpu.stateDict());
  const cpu = await trainOn(onCpu, "cpu");
  const webgpu = await trainOn(onGpu, "webgpu");
  const parameterDevices = [...new Set(onGpu.parameters().map((p) => p.device))];
  onCpu.dispose();
  onGpu.dispose();
  await removeDevice("webgpu");
  return { inWorker: typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope, adapter: gpu.info.vendor, parameterDevices, cpu, webgpu };
}

run().then(
  (r) => postMessage(r),
  (e) => postMessage({ error: `${e?.name ?? "Error"}: ${e?.message ?? e}\n${e?.stack ?? ""}` }),
);
