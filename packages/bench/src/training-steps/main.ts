/**
 * Training-step times of the character GPT (`polychip train --model gpt`'s model) and a small
 * ResNet, Polychip's cpu device at 1 thread beside PyTorch 1.13 at 1 thread, same shapes, layers and
 * optimisers (torch_steps.py). Figures are printed, not asserted: compare them only within one run.
 *
 *   node --import tsx packages/bench/src/training-steps/main.ts [--runs N] [--warmup N]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuPlugin } from "@polychip/device-cpu";
import { CharGpt } from "@polychip/cli";
import { crossEntropy, manualSeed, optim, randn, registerPlugin, setDefaultDevice, tensor, tidy, type nn, type Tensor } from "@polychip/engine";
import { SmallResNet } from "./resnet.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, warmup: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const config = {
  gpt: { vocab: 64, block: 32, dim: 48, heads: 4, layers: 2, batch: 16 },
  resnet: { batch: 16, size: 32 },
  runs,
  warmup,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(step: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await step();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await step();
    out.push(performance.now() - start);
  }
  return out;
}

/** One optimiser step; reading the loss waits for the device, as torch's loss.item() does. */
function stepper(model: nn.Module, opt: { zeroGrad(): void; step(): void }, loss: () => Tensor, clip?: number): () => Promise<number> {
  model.train();
  return async () => {
    const l = tidy(() => {
      opt.zeroGrad();
      const value = loss();
      value.backward();
      if (clip) optim.clipGradNorm_(model.parameters(), clip);
      opt.step();
      return value.detach();
    });
    const v = await l.item();
    l.dispose();
    return v;
  };
}

async function polychipSteps(): Promise<{ threads: number; gpt: number[]; resnet: number[] }> {
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
  const gptTimes = await timed(stepper(gpt, gptOpt, () => crossEntropy(gpt.call(ids).transpose(1, 2), targets), 1));

  const r = config.resnet;
  const resnet = new SmallResNet();
  const images = randn([r.batch, 3, r.size, r.size]);
  const labels = tensor(Int32Array.from({ length: r.batch }, (_, i) => i % 10));
  const resnetOpt = new optim.SGD(resnet.parameters(), { lr: 0.05, momentum: 0.9 });
  const resnetTimes = await timed(stepper(resnet, resnetOpt, () => crossEntropy(resnet.call(images), labels)));
  const details = (device.info.details ?? {}) as { threads?: number };
  return { threads: details.threads ?? 1, gpt: gptTimes, resnet: resnetTimes };
}

function torchSteps(): { torch: string; threads: number; gpt: number[]; resnet: number[] } | { unavailable: string } {
  const script = fileURLToPath(new URL("./torch_steps.py", import.meta.url));
  const run = spawnSync("/usr/bin/python3", [script, JSON.stringify(config)], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
  if (run.status !== 0) return { unavailable: `torch_steps.py failed (${run.error?.message ?? run.stderr.trim().split("\n").pop()})` };
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

const ours = await polychipSteps();
const theirs = torchSteps();
const row = (name: string, shape: string, a: number[], b?: number[]) => {
  const [pm, tm] = [median(a), b ? median(b) : undefined];
  const ratio = tm ? `${(pm / tm).toFixed(2)}x` : "-";
  return `| ${name} | ${shape} | ${pm.toFixed(1)} ms (${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)}) | ${tm ? `${tm.toFixed(1)} ms (${Math.min(...b!).toFixed(1)}–${Math.max(...b!).toFixed(1)})` : "-"} | ${ratio} |`;
};
const t = "unavailable" in theirs ? undefined : theirs;
console.log(
  `training step, median of ${runs} after ${warmup} warm-up; polychip cpu ${ours.threads} thread, ${t ? `torch ${t.torch} ${t.threads} thread` : (theirs as { unavailable: string }).unavailable}`,
);
console.log("| model | batch | polychip | pytorch | polychip ÷ pytorch |");
console.log("|---|---|---|---|---|");
const g = config.gpt;
console.log(row("char GPT (AdamW, clip 1)", `${g.batch}×${g.block} tokens, dim ${g.dim}, ${g.layers} layers`, ours.gpt, t?.gpt));
console.log(row("small ResNet (SGD momentum)", `${config.resnet.batch}×3×${config.resnet.size}×${config.resnet.size}`, ours.resnet, t?.resnet));
process.exit(0);
