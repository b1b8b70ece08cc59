/**
 * Training-step times of the character GPT (`polychip train --model gpt`'s model) and a small
 * ResNet, Polychip's cpu device at 1 thread beside PyTorch 1.13 at 1 thread, same shapes, layers and
 * optimisers (torch_steps.py). The two take turns step by step, so a machine whose load changes
 * during the run slows both alike. Figures are printed, not asserted.
 *
 *   node --import tsx packages/bench/src/training-steps/main.ts [--runs N] [--warmup N]
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuPlugin } from "@polychip/device-cpu";
import { CharGpt } from "@polychip/cli";
import { crossEntropy, manualSeed, optim, randn, registerPlugin, setDefaultDevice, tensor, tidy, type nn, type Tensor } from "@polychip/engine";
import { SmallResNet } from "./resnet.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, warmup: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const config = { gpt: { vocab: 64, block: 32, dim: 48, heads: 4, layers: 2, batch: 16 }, resnet: { batch: 16, size: 32 } };
type ModelName = keyof typeof config;

/** One optimiser step, timed; reading the loss waits for the device, as torch's loss.item() does. */
function stepper(model: nn.Module, opt: { zeroGrad(): void; step(): void }, loss: () => Tensor, clip?: number): () => Promise<number> {
  model.train();
  return async () => {
    const start = performance.now();
    const l = tidy(() => {
      opt.zeroGrad();
      const value = loss();
      value.backward();
      if (clip) optim.clipGradNorm_(model.parameters(), clip);
      opt.step();
      return value.detach();
    });
    await l.item();
    l.dispose();
    return performance.now() - start;
  };
}

async function polychipSteppers(): Promise<{ threads: number; steps: Record<ModelName, () => Promise<number>> }> {
  const device = await registerPlugin(cpuPlugin, { threads: 1 } as Parameters<typeof cpuPlugin.create>[0]);
  setDefaultDevice("cpu");
  manualSeed(0);
  const g = config.gpt;
  const gpt = new CharGpt({ vocabSize: g.vocab, blockSize: g.block, dim: g.dim, heads: g.heads, layers: g.layers });
  const ids = tensor(
    Int32Array.from({ length: g.batch * g.block }, (_, i) => (i * 7) % g.vocab),
    { shape: [g.batch, g.block] },
  );
  const targets = tensor(
    Int32Array.from({ length: g.batch * g.block }, (_, i) => (i * 11 + 3) % g.vocab),
    { shape: [g.batch, g.block] },
  );
  const gptOpt = new optim.AdamW(gpt.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  const r = config.resnet;
  const resnet = new SmallResNet();
  const images = randn([r.batch, 3, r.size, r.size]);
  const labels = tensor(Int32Array.from({ length: r.batch }, (_, i) => i % 10));
  const resnetOpt = new optim.SGD(resnet.parameters(), { lr: 0.05, momentum: 0.9 });
  const details = (device.info.details ?? {}) as { threads?: number };
  return {
    threads: details.threads ?? 1,
    steps: {
      gpt: stepper(gpt, gptOpt, () => crossEntropy(gpt.call(ids).transpose(1, 2), targets), 1),
      resnet: stepper(resnet, resnetOpt, () => crossEntropy(resnet.call(images), labels)),
    },
  };
}

/** The torch worker: its header line, and a function that runs one step of a model there. */
async function torchWorker(): Promise<{ header: { torch: string; threads: number }; step: (m: ModelName) => Promise<number>; close: () => void }> {
  const script = fileURLToPath(new URL("./torch_steps.py", import.meta.url));
  const child = spawn("/usr/bin/python3", [script, JSON.stringify(config)], {
    env: { ...process.env, OMP_NUM_THREADS: "1" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error("torch_steps.py ended early (is python3-torch installed for /usr/bin/python3?)");
    return JSON.parse(line.value);
  };
  const header = await next();
  return {
    header,
    step: async (m) => {
      child.stdin.write(`${m}\n`);
      return (await next()).ms;
    },
    close: () => child.stdin.end(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

const ours = await polychipSteppers();
let torch: Awaited<ReturnType<typeof torchWorker>> | undefined;
let unavailable = "";
try {
  torch = await torchWorker();
} catch (err) {
  unavailable = (err as Error).message;
}
const shapes: Record<ModelName, string> = {
  gpt: `char GPT (AdamW, clip 1), ${config.gpt.batch}×${config.gpt.block} tokens, dim ${config.gpt.dim}, ${config.gpt.layers} layers`,
  resnet: `small ResNet (SGD momentum), ${config.resnet.batch}×3×${config.resnet.size}×${config.resnet.size}`,
};
console.log(
  `training step, median of ${runs} after ${warmup} warm-up, taking turns; polychip cpu ${ours.threads} thread, ${torch ? `torch ${torch.header.torch} ${torch.header.threads} thread` : unavailable}`,
);
console.log("| model | polychip | pytorch | polychip ÷ pytorch (medians) |");
console.log("|---|---|---|---|");
for (const m of ["gpt", "resnet"] as const) {
  const [a, b]: number[][] = [[], []];
  for (let i = 0; i < warmup + runs; i++) {
    const mine = await ours.steps[m]();
    const theirs = torch ? await torch.step(m) : Number.NaN;
    if (i >= warmup) [a.push(mine), b.push(theirs)];
  }
  console.log(`| ${shapes[m]} | ${spread(a)} | ${torch ? spread(b) : "-"} | ${torch ? `${(median(a) / median(b)).toFixed(2)}x` : "-"} |`);
}
torch?.close();
process.exit(0);
