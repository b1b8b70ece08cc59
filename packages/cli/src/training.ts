import { batches, type Split } from "@polychip/datasets";
import { autocast, crossEntropy, detectAnomaly, noGrad, optim, tensor, tidy, type nn, type Tensor } from "@polychip/engine";
import { NonFiniteError } from "@polychip/hal";
import type { TrainingPrecision } from "./precision.ts";
import { Progress } from "./progress.ts";

export interface EpochStats {
  epoch: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  seconds: number;
  /** Mixed precision: steps the loss scaler skipped because a float16 gradient overflowed. */
  skippedSteps: number;
  /** Mixed precision: the loss scale at the end of the epoch (1 in fp32). */
  lossScale: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  device: string;
  seed: number;
  progress: boolean;
  /** "mixed-fp16": float16 matmul/conv (autocast) with float32 master weights and loss scaling. Default fp32. */
  precision?: TrainingPrecision;
  /** Stop after this many steps (tests and quick demos). */
  maxSteps?: number;
  onStep?: (step: number, loss: number) => void;
}

/**
 * Mini-batch training with Adam and cross-entropy; returns per-epoch statistics. In mixed precision
 * the parameters and Adam's state stay float32 (the master copy), the layers compute in float16,
 * and a GradScaler keeps small float16 gradients from flushing to zero: a step whose gradients
 * overflow is skipped and the scale backed off, as torch.cuda.amp does.
 */
export async function train(model: nn.Module, data: Split, opts: TrainOptions): Promise<EpochStats[]> {
  const optimizer = new optim.Adam(model.parameters(), { lr: opts.lr });
  const mixed = opts.precision === "mixed-fp16";
  const scaler = new optim.GradScaler({ enabled: mixed });
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
    let skippedSteps = 0;
    for (const batch of batches(data, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed, epoch, dropLast: true, standardize: true })) {
      const forwardBackward = () => {
        const x = tensor(batch.x, { shape: [batch.size, 1, 28, 28], device: opts.device });
        const y = tensor(batch.y, { shape: [batch.size], dtype: "int32", device: opts.device });
        const { logits, loss: l } = forwardLoss(model, x, y, mixed);
        optimizer.zeroGrad();
        scaler.scale(l).backward();
        return { l, logits, y };
      };
      const [loss, hits] = tidy(() => {
        const { l, logits, y } = forwardBackward();
        return [l.detach(), logits.argmax(1).eq(y).sum()];
      });
      await scaler.unscale_(optimizer);
      const gradSquares = tidy(() => squaredGradientNorm(model));
      const lossValue = await loss.item();
      const gradNorm = Math.sqrt(await gradSquares.item());
      correct += await hits.item();
      loss.dispose();
      hits.dispose();
      gradSquares.dispose();
      // Checked before the update, so a non-finite step never reaches the weights. A float16
      // overflow under a loss scale above 1 is the scaler's to handle; anything else is a fault.
      const overflowed = mixed && Number.isFinite(lossValue) && !Number.isFinite(gradNorm) && scaler.getScale() > 1;
      if (!overflowed && (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm))) {
        optimizer.dispose();
        throw await diagnoseNonFinite(
          `train: step ${step + 1} (epoch ${epoch + 1}): loss ${lossValue}, gradient norm ${gradNorm}${mixed ? ` (loss scale ${scaler.getScale()})` : ""}`,
          () => void tidy(() => void forwardBackward()),
        );
      }
      if (overflowed) skippedSteps++;
      else tidy(() => optimizer.step());
      scaler.update();
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
    stats.push({
      epoch: epoch + 1,
      loss: lossSum / Math.max(seen, 1),
      accuracy: correct / Math.max(seen, 1),
      imagesPerSecond: seen / seconds,
      seconds,
      skippedSteps,
      lossScale: scaler.getScale(),
    });
    if (opts.maxSteps && step >= opts.maxSteps) break;
  }
  optimizer.dispose();
  return stats;
}

/**
 * The logits and the cross-entropy loss. In mixed precision both run inside autocast, as torch.amp
 * has it: the layers give float16 logits and the loss, on autocast's float32 list, computes its
 * log-softmax, its value and its gradient in float32. Outside autocast the loss would run in
 * float16 on float16 logits: p − 1 of a confident class loses most of its bits near 1, and the
 * loss times a scale of 2^16 is already infinite in float16.
 */
function forwardLoss(model: nn.Module, x: Tensor, y: Tensor, mixed: boolean): { logits: Tensor; loss: Tensor } {
  const run = () => {
    const logits = model.forward(x);
    return { logits, loss: crossEntropy(logits, y) };
  };
  return mixed ? autocast(run) : run();
}

/** The sum of squares of every parameter's gradient: one number that is non-finite if any gradient is. */
function squaredGradientNorm(model: nn.Module): Tensor {
  let total: Tensor | undefined;
  for (const p of model.parameters()) {
    if (!p.grad) continue;
    const s = p.grad.square().sum();
    total = total ? total.add(s) : s;
  }
  return total ?? tensor([0]).sum();
}

/**
 * Re-runs the failing step with anomaly detection, so the error names the first op that produced
 * a non-finite value (or says the re-run was finite: a fault that does not repeat).
 */
async function diagnoseNonFinite(what: string, rerun: () => void): Promise<NonFiniteError> {
  try {
    await detectAnomaly(rerun);
  } catch (err) {
    if (err instanceof NonFiniteError) return new NonFiniteError(`${what}; ${err.message}`);
    throw err;
  }
  return new NonFiniteError(`${what}; re-running the step with anomaly detection gave finite values (a fault that does not repeat)`);
}

/** Test-set accuracy (and mean loss) in inference mode; in mixed precision the layers compute in float16 as in training. */
export async function evaluate(
  model: nn.Module,
  data: Split,
  device: string,
  batchSize = 500,
  precision: TrainingPrecision = "fp32",
): Promise<{ accuracy: number; loss: number }> {
  model.eval();
  let correct = 0;
  let lossSum = 0;
  for (const batch of batches(data, { batchSize, shuffle: false, dropLast: false, standardize: true })) {
    const [hits, loss] = noGrad(() =>
      tidy(() => {
        const x = tensor(batch.x, { shape: [batch.size, 1, 28, 28], device });
        const y = tensor(batch.y, { shape: [batch.size], dtype: "int32", device });
        const { logits, loss } = forwardLoss(model, x, y, precision === "mixed-fp16");
        return [logits.argmax(1).eq(y).sum(), loss];
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
