import { trainCommand, type TrainResult } from "./train.ts";

/**
 * The README's main job: train on real Fashion-MNIST and report what the model learned.
 * Each later stage (export, deploy to every device) appends its own section.
 */
export async function quickstartCommand(opts: { model: string; epochs: number; subset: boolean }): Promise<TrainResult> {
  process.stdout.write(`Polychip quickstart — train ${opts.model} on Fashion-MNIST\n\n`);
  const result = await trainCommand({
    model: opts.model, epochs: opts.epochs, batch: 64, lr: 1e-3, device: "cpu", subset: opts.subset,
    out: `runs/quickstart-${opts.model}.pcck`, json: false, seed: 1,
  });
  process.stdout.write(`\ntrained ${result.model} in ${result.seconds.toFixed(1)}s: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%\n`);
  return result;
}
