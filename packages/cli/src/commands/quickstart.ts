import { loadFashionMnist } from "@polychip/datasets";
import { parseModel } from "@polychip/engine/runtime";
import { readBytes } from "../files.ts";
import { exportCommand } from "./export.ts";
import { evaluateGraph } from "./eval.ts";
import { trainCommand, type TrainResult } from "./train.ts";

export interface QuickstartArgs {
  model: string;
  epochs: number;
  subset: boolean;
  /** Stop training after this many steps (tests). */
  maxSteps?: number;
  /** Where the checkpoint and model file go (default runs/). */
  outDir?: string;
  /** No output (tests). */
  quiet?: boolean;
}

export interface QuickstartResult extends TrainResult {
  modelFile: string;
  modelBytes: number;
  deployedAccuracy: number;
}

/**
 * The README's main job: train on real Fashion-MNIST, export the trained model to a .pcm file,
 * reload it in the lean runtime (no autograd, nn or optimisers) and check that the deployed model
 * scores exactly what the trained one did.
 */
export async function quickstartCommand(opts: QuickstartArgs): Promise<QuickstartResult> {
  const say = (line: string) => !opts.quiet && process.stdout.write(`${line}\n`);
  const dir = opts.outDir ?? "runs";
  say(`Polychip quickstart — train ${opts.model} on Fashion-MNIST, deploy it, check it\n`);
  const trained = await trainCommand({
    model: opts.model, epochs: opts.epochs, batch: 64, lr: 1e-3, device: "cpu", subset: opts.subset,
    out: `${dir}/quickstart-${opts.model}.pcck`, json: Boolean(opts.quiet), seed: 1, maxSteps: opts.maxSteps,
  });
  say(`\ntrained ${trained.model} in ${trained.seconds.toFixed(1)}s: test accuracy ${(trained.testAccuracy * 100).toFixed(2)}%`);

  const modelFile = `${dir}/quickstart-${opts.model}.pcm`;
  const exported = await exportCommand({ checkpoint: trained.checkpoint, out: modelFile, json: Boolean(opts.quiet) });
  const graph = parseModel(await readBytes(modelFile));
  const data = await loadFashionMnist({ subset: opts.subset });
  const { accuracy } = await evaluateGraph(graph, data.test, "cpu");
  const same = accuracy === trained.testAccuracy;
  say(`deployed ${modelFile} in the lean runtime (cpu): test accuracy ${(accuracy * 100).toFixed(2)}%  (trained ${(trained.testAccuracy * 100).toFixed(2)}%: ${same ? "exact match" : "MISMATCH"})`);
  return { ...trained, modelFile, modelBytes: exported.bytes, deployedAccuracy: accuracy };
}
