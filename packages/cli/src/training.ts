import { batches, type Split } from "@polychip/datasets";
import { crossEntropy, noGrad, optim, tensor, tidy, type nn } from "@polychip/engine";
import { Progress } from "./progress.ts";

export interface EpochStats {
  epoch: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  seconds: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  device: string;
  seed: number;
  progress: boolean;
  /** Stop after this many steps (tests and quick demos). */
  maxSteps?: number;
  onStep?: (step: number, loss: number) => void;
}

/** Mini-batch training with Adam and cross-entropy; returns per-epoch statistics. */
export async function train(model: nn.Module, data: Split, opts: TrainOptions): Promise<EpochStats[]> {
  const optimizer = new optim.Adam(model.parameters(), { lr: opts.lr });
  const stats: EpochStats[] = [];
  const stepsPerEpoch = Math.floor(data.count / opts.batchSize);
  let step = 0;
  model.train();
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const bar = new Progress(`epoch ${epoch + 1}/${opts.epochs}`, stepsPerEpoch, opts.progress);
    const started = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let batchIndex = 0;
    for (const batch of batches(data, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed, epoch, dropLast: true, standardize: true })) {
      const [loss, hits] = tidy(() => {
        const x = tensor(batch.x, { shape: [batch.size, 1, 28, 28], device: opts.device });
        const y = tensor(batch.y, { shape: [batch.size], dtype: "int32", device: opts.device });
        const logits = model.forward(x);
        const l = crossEntropy(logits, y);
        optimizer.zeroGrad();
        l.backward();
        optimizer.step();
        return [l.detach(), logits.argmax(1).eq(y).sum()];
      });
      const lossValue = await loss.item();
      correct += await hits.item();
      loss.dispose();
      hits.dispose();
      lossSum += lossValue * batch.size;
      seen += batch.size;
      step++;
      batchIndex++;
      opts.onStep?.(step, lossValue);
      bar.update(batchIndex, `loss ${(lossSum / seen).toFixed(4)}`);
      if (opts.maxSteps && step >= opts.maxSteps) break;
    }
    bar.done();
    const seconds = (performance.now() - started) / 1000;
    stats.push({ epoch: epoch + 1, loss: lossSum / Math.max(seen, 1), accuracy: correct / Math.max(seen, 1), imagesPerSecond: seen / seconds, seconds });
    if (opts.maxSteps && step >= opts.maxSteps) break;
  }
  optimizer.dispose();
  return stats;
}

/** Test-set accuracy (and mean loss) in inference mode. */
export async function evaluate(model: nn.Module, data: Split, device: string, batchSize = 500): Promise<{ accuracy: number; loss: number }> {
  model.eval();
  let correct = 0;
  let lossSum = 0;
  for (const batch of batches(data, { batchSize, shuffle: false, dropLast: false, standardize: true })) {
    const [hits, loss] = noGrad(() =>
      tidy(() => {
        const x = tensor(batch.x, { shape: [batch.size, 1, 28, 28], device });
        const y = tensor(batch.y, { shape: [batch.size], dtype: "int32", device });
        const logits = model.forward(x);
        return [logits.argmax(1).eq(y).sum(), crossEntropy(logits, y)];
      }),
    );
    correct += await hits.item();
    lossSum += (await loss.item()) * batch.size;
    hits.dispose();
    loss.dispose();
  }
  model.train();
  return { accuracy: correct / data.count, loss: lossSum / data.count };
}
