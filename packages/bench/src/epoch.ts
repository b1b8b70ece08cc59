import { cpuPlugin } from "@polychip/device-cpu";
import { cnn, train } from "@polychip/cli";
import { loadFashionMnist } from "@polychip/datasets";
import { listDevices, manualSeed, registerPlugin } from "@polychip/engine";

export interface EpochResult {
  readonly threads: number;
  readonly device: string;
  readonly data: string;
  /** "debian" = the full 60,000-image training set. */
  readonly source: string;
  readonly images: number;
  readonly batch: number;
  readonly stepsRun: number;
  readonly stepsPerEpoch: number;
  /** Wall time of the steps that ran. */
  readonly seconds: number;
  /** Whole-epoch time: measured, or scaled from the steps run when `--epoch-steps` cut it short. */
  readonly epochSeconds: number;
  readonly projected: boolean;
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * One epoch of the CNN on Fashion-MNIST, exactly as `polychip train --model cnn` runs it (Adam,
 * batch 64), on the full Debian set when installed. `subset` forces the committed 10,000-image
 * subset (tests: it loads six times faster).
 */
export async function runEpoch(threads: number, maxSteps?: number, log: (line: string) => void = () => {}, subset = false): Promise<EpochResult> {
  const previous = listDevices().find((d) => d.info.name === "cpu");
  const device = await registerPlugin(cpuPlugin, { threads } as Parameters<typeof cpuPlugin.create>[0]);
  if (previous && previous !== device) await previous.dispose?.();
  manualSeed(1);
  const data = await loadFashionMnist({ subset });
  log(`epoch: ${data.description}`);
  const batch = 64;
  const stepsPerEpoch = Math.floor(data.train.count / batch);
  const model = cnn();
  const started = performance.now();
  const [stats] = await train(model, data.train, {
    epochs: 1,
    batchSize: batch,
    lr: 1e-3,
    device: "cpu",
    seed: 1,
    progress: false,
    maxSteps,
    onStep: (step, loss) => {
      if (step % 50 === 0) log(`epoch: step ${step}/${stepsPerEpoch}, loss ${loss.toFixed(3)}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
  });
  model.dispose();
  const stepsRun = Math.min(stepsPerEpoch, maxSteps ?? stepsPerEpoch);
  const seconds = stats!.seconds;
  const details = (device.info.details ?? {}) as Record<string, unknown>;
  return {
    threads: typeof details.threads === "number" ? details.threads : 1,
    device: Object.entries(details)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", "),
    data: data.description,
    source: data.source,
    images: data.train.count,
    batch,
    stepsRun,
    stepsPerEpoch,
    seconds,
    epochSeconds: (seconds * stepsPerEpoch) / stepsRun,
    projected: stepsRun < stepsPerEpoch,
    loss: stats!.loss,
    accuracy: stats!.accuracy,
  };
}

export function describeEpoch(e: EpochResult): string {
  const what = e.projected
    ? `projected ${e.epochSeconds.toFixed(1)} s from ${e.stepsRun} of ${e.stepsPerEpoch} steps (${e.seconds.toFixed(1)} s)`
    : `${e.epochSeconds.toFixed(1)} s for ${e.stepsPerEpoch} steps`;
  const set =
    e.source === "debian"
      ? `full set, ${e.images.toLocaleString("en-US")} images`
      : `${e.source} data, ${e.images.toLocaleString("en-US")} images — not the full set`;
  return `${what}; ${set}; ${e.threads} thread${e.threads === 1 ? "" : "s"}; loss ${e.loss.toFixed(3)}, train accuracy ${(e.accuracy * 100).toFixed(1)}%`;
}
