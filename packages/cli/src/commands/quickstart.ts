// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { loadFashionMnist } from "@polychip/datasets";
import { createSession, listDevices, parseModel, type Graph } from "@polychip/engine/runtime";
import type { Split } from "@polychip/datasets";
import { firstImages, formatMs, inputFor, loadDevice, measureDeployment, prepareModel, type Precision } from "../deployment.ts";
import { readBytes } from "../files.ts";
import { exportCommand } from "./export.ts";
import { EVAL_BATCH, evaluateGraph } from "../graph-accuracy.ts";
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
  /**
   * Test images the final table evaluates every deployment on. Default: the whole test set, except
   * for the CNN, whose simulated-NPU rows would take minutes: the first 1,000.
   */
  deployImages?: number;
}

/** One row of the final table: a device at a precision, or why it could not be used. */
export interface DeploymentRow {
  device: string;
  precision: Precision;
  accuracy?: number;
  /** Per image at batch 64: simulated on npu-sim, wall time elsewhere. */
  latencyMs?: number;
  simulated?: boolean;
  fallbacks: string[];
  unavailable?: string;
}

export interface QuickstartResult extends TrainResult {
  modelFile: string;
  modelBytes: number;
  deployedAccuracy: number;
  /** Test images the deployment table was measured on. */
  deployImages: number;
  deployments: DeploymentRow[];
}

/** The first 1,000 test images: the simulated NPU (and WebGPU on a software adapter) runs a few dozen CNN images a second. */
const CNN_DEPLOY_IMAGES = 1000;
/** A row that would take longer than this on this machine (WebGPU on a software adapter, say) is skipped with the estimate. */
const ROW_BUDGET_S = 180;
const TARGETS: readonly { device: string; precision: Precision }[] = [
  { device: "cpu", precision: "fp32" },
  { device: "webgpu", precision: "fp32" },
  { device: "npu-sim", precision: "fp16" },
  { device: "npu-sim", precision: "int8" },
  // The second chip profile: a small int8-only edge NPU (EDGE_INT8_PROFILE), deployed in int8.
  { device: "npu-sim-edge", precision: "int8" },
];

/**
 * The README's main job: train on real Fashion-MNIST, export the trained model to a .pcm file,
 * reload it in the lean runtime (no autograd, nn or optimisers) and check that the deployed model
 * scores exactly what the trained one did; then deploy it to every device — cpu, webgpu when it
 * starts here, npu-sim in fp16 and in int8, the int8-only edge profile (npu-sim-edge) in int8 —
 * and print accuracy and latency per device.
 */
export async function quickstartCommand(opts: QuickstartArgs): Promise<QuickstartResult> {
  const say = (line: string) => !opts.quiet && process.stdout.write(`${line}\n`);
  const dir = opts.outDir ?? "runs";
  say(`Polychip quickstart — train ${opts.model} on Fashion-MNIST, deploy it, check it\n`);
  const trained = await trainCommand({
    model: opts.model,
    epochs: opts.epochs,
    batch: 64,
    lr: 1e-3,
    device: "cpu",
    subset: opts.subset,
    out: `${dir}/quickstart-${opts.model}.pcck`,
    createOutDir: true,
    json: Boolean(opts.quiet),
    seed: 1,
    maxSteps: opts.maxSteps,
  });
  say(`\ntrained ${trained.model} in ${trained.seconds.toFixed(1)}s: test accuracy ${(trained.testAccuracy * 100).toFixed(2)}%`);

  const modelFile = `${dir}/quickstart-${opts.model}.pcm`;
  const exported = await exportCommand({ checkpoint: trained.checkpoint, out: modelFile, json: Boolean(opts.quiet) });
  const graph = parseModel(await readBytes(modelFile, "model file"));
  const data = await loadFashionMnist({ subset: opts.subset });
  const { accuracy } = await evaluateGraph(graph, data.test, "cpu");
  const same = accuracy === trained.testAccuracy;
  say(
    `deployed ${modelFile} in the lean runtime (cpu): test accuracy ${(accuracy * 100).toFixed(2)}%  (trained ${(trained.testAccuracy * 100).toFixed(2)}%: ${same ? "exact match" : "MISMATCH"})`,
  );

  const test = firstImages(data.test, opts.deployImages ?? (opts.model === "cnn" ? CNN_DEPLOY_IMAGES : undefined));
  say(
    `\ndeploying to every device (accuracy on ${test.count === data.test.count ? "the" : "the first"} ${test.count} test images; int8 calibrated on 512 training images)…`,
  );
  const deployments = await deployEverywhere(graph, data.train, test);
  for (const line of deploymentTable(deployments)) say(line);
  return { ...trained, modelFile, modelBytes: exported.bytes, deployedAccuracy: accuracy, deployImages: test.count, deployments };
}

async function deployEverywhere(graph: Graph, train: Split, test: Split): Promise<DeploymentRow[]> {
  const rows: DeploymentRow[] = [];
  for (const { device, precision } of TARGETS) {
    try {
      await loadDevice(device);
    } catch (err) {
      rows.push({ device, precision, fallbacks: [], unavailable: (err as Error).message.split("\n")[0] });
      continue;
    }
    const prepared = await prepareModel(graph, precision, train, { images: 512, observer: "percentile" });
    const seconds = await rowSeconds(prepared.graph, device, test.count);
    if (seconds > ROW_BUDGET_S) {
      const adapter = listDevices().find((d) => d.info.name === device)?.info.details?.description;
      rows.push({
        device,
        precision,
        fallbacks: [],
        unavailable: `too slow here${adapter ? ` (${adapter})` : ""}: ~${(seconds / 60).toFixed(0)} min for this table`,
      });
      continue;
    }
    const r = await measureDeployment(prepared, device, test);
    rows.push({
      device,
      precision,
      accuracy: r.accuracy,
      latencyMs: r.latency.perImageMs,
      simulated: r.latency.simulated,
      fallbacks: r.fallbacks.filter((f) => f.to !== "op-by-op").map((f) => `${f.op} (${f.dtype})`),
    });
  }
  return rows;
}

/** Wall seconds per image of a small batch on `device`, after a warm-up run (pipelines compiled, weights uploaded). */
/**
 * How long a row's measurement would take: the evaluation's runs at EVAL_BATCH, plus the latency
 * runs (a warm-up and three timed runs at batch 1 and at batch 64), each bounded by one timed run
 * at the evaluation's batch size. Timed at that size because a run's fixed cost (a read-back on a
 * software WebGPU adapter: ~70 ms) dominates small batches and would inflate a per-image estimate.
 */
async function rowSeconds(graph: Graph, device: string, images: number): Promise<number> {
  const session = await createSession(graph, { device });
  try {
    const n = Math.min(EVAL_BATCH, images);
    const feed = inputFor(graph, new Float32Array(n * 784), n);
    await session.run(feed);
    const started = performance.now();
    await session.run(feed);
    const perRun = (performance.now() - started) / 1000;
    return perRun * (Math.ceil(images / n) + 4 * 2);
  } finally {
    session.dispose();
  }
}

/** The final table: device, precision, accuracy, latency per image, what fell back. */
export function deploymentTable(rows: readonly DeploymentRow[]): string[] {
  const cells = rows.map((r) =>
    r.unavailable !== undefined
      ? [r.device, r.precision, "—", `unavailable: ${r.unavailable}`]
      : [
          r.device,
          r.precision,
          `${(r.accuracy! * 100).toFixed(2)}%`,
          `${formatMs(r.latencyMs!)} ${r.simulated ? "(simulated)" : "(measured)"}`,
          r.fallbacks.length === 0 ? "none" : r.fallbacks.join(", "),
        ],
  );
  const header = ["device", "precision", "accuracy", "latency / image (batch 64)", "fell back to cpu"];
  // A row's last cell is not padded, so a long "unavailable" reason does not widen the table.
  const widths = header.map((h, i) => Math.max(h.length, ...cells.filter((c) => i < c.length - 1).map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join("  ");
  return ["", line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
}
