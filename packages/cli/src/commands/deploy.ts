import { extname } from "node:path";
import { loadFashionMnist } from "@polychip/datasets";
import type { ObserverKind } from "@polychip/engine/deploy";
import { PolychipError, type Graph } from "@polychip/engine/runtime";
import { firstImages, formatMs, measureDeployment, prepareModel, type DeploymentReport, type Precision } from "../deployment.ts";
import { checkOutputPath } from "../files.ts";
import { loadModel, saveModel } from "../model-files.ts";
import { checkFiniteGraph } from "../numerics.ts";
import { evaluateGraph } from "../graph-accuracy.ts";
import { graphFromCheckpoint } from "./export.ts";

export interface DeployArgs {
  /** A .pcm or .onnx model, or a .pcck checkpoint from `polychip train` (traced here). */
  model: string;
  device: string;
  precision: Precision;
  /** Training images to calibrate an int8 deployment on. */
  calibrate: number;
  observer: ObserverKind;
  percentile?: number;
  data: string;
  subset: boolean;
  dataDir?: string;
  /** Evaluate on the first N test images only (the simulated NPU runs a few hundred images a second). */
  limit?: number;
  /** Also evaluate the float32 model on the cpu, on the same images. */
  baseline: boolean;
  /** Save the deployed graph (quantised / float16) as a .pcm file. */
  out?: string;
  json: boolean;
}

export interface DeployResult extends DeploymentReport {
  model: string;
  data: string;
  calibration?: string;
  baseline?: { device: "cpu"; precision: "fp32"; accuracy: number; correct: number };
  out?: string;
}

async function loadGraph(path: string): Promise<Graph> {
  const graph = extname(path).toLowerCase() === ".pcck" ? (await graphFromCheckpoint(path)).graph : await loadModel(path);
  checkFiniteGraph(graph, path);
  return graph;
}

/**
 * `polychip deploy`: prepares a model for a device (fp32, fp16, or int8 after calibration) and
 * reports its test accuracy, latency per image (simulated on npu-sim), what fell back to the CPU,
 * and what the chip reported (MAC utilisation, DMA traffic).
 */
export async function deployCommand(args: DeployArgs): Promise<DeployResult> {
  if (args.data !== "fashion-mnist") throw new PolychipError(`deploy: unknown dataset '${args.data}' (available: fashion-mnist)`);
  if (args.out) await checkOutputPath(args.out, "deployed model file");
  const log = (line: string) => !args.json && process.stdout.write(`${line}\n`);
  const graph = await loadGraph(args.model);
  const data = await loadFashionMnist(args.dataDir ? { dir: args.dataDir } : { subset: args.subset });
  const test = firstImages(data.test, args.limit);
  log(`data: ${data.description}${test.count < data.test.count ? ` (evaluating the first ${test.count} test images)` : ""}`);
  const prepared = await prepareModel(graph, args.precision, data.train, { images: args.calibrate, observer: args.observer, percentile: args.percentile });
  if (prepared.calibration) log(`calibrated on the cpu: ${prepared.calibration}`);
  const report = await measureDeployment(prepared, args.device, test);
  const result: DeployResult = { ...report, model: args.model, data: data.source, calibration: prepared.calibration };
  if (args.baseline) {
    const { accuracy, correct } = await evaluateGraph(graph, test, "cpu");
    result.baseline = { device: "cpu", precision: "fp32", accuracy, correct };
  }
  if (args.out) {
    await saveModel(prepared.graph, args.out);
    result.out = args.out;
  }
  if (!args.json) for (const line of describeDeployment(result)) log(line);
  return result;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function describeDeployment(r: DeployResult): string[] {
  const lines: string[] = [];
  const drop = r.baseline ? ` — fp32 on cpu ${pct(r.baseline.accuracy)}, ${((r.baseline.accuracy - r.accuracy) * 100).toFixed(2)} points lost` : "";
  lines.push(`${r.model} ${r.precision} on ${r.device}: accuracy ${pct(r.accuracy)} (${r.correct}/${r.images})${drop}`);
  const how = r.latency.simulated ? `simulated by ${r.device}'s cost model` : "measured wall time";
  const fallback = r.latency.fallbackMs > 0 ? ` (+ ${formatMs(r.latency.fallbackMs)} per image of CPU fallback, wall time)` : "";
  lines.push(
    `latency (${how}): ${formatMs(r.latency.batch1Ms)} at batch 1, ${formatMs(r.latency.perImageMs)} per image at batch ${r.latency.batch}${fallback}`,
  );
  if (r.claims.length > 0) lines.push(`claimed by the device (run as units, intermediates stay on it): ${r.claims.join("; ")}`);
  const [toCpu, opByOp] = [r.fallbacks.filter((f) => f.to !== "op-by-op"), r.fallbacks.filter((f) => f.to === "op-by-op")];
  lines.push(
    toCpu.length === 0 ? "fell back to cpu: nothing" : `fell back to cpu: ${toCpu.map((f) => `${f.op} (${f.dtype}) ×${f.count}: ${f.reason}`).join("; ")}`,
  );
  if (opByOp.length) lines.push(`ran op by op on ${r.device}: ${opByOp.map((f) => `${f.op} (${f.dtype}) ×${f.count}: ${f.reason}`).join("; ")}`);
  if (r.chip) {
    const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
    lines.push(
      `chip, batch of ${r.latency.batch}: ${r.chip.kernels} kernels, ${(r.chip.macs / 1e6).toFixed(1)} M MACs at ${(r.chip.macUtilisation * 100).toFixed(1)}% MAC utilisation, ` +
        `DRAM↔on-chip DMA ${kb(r.chip.dmaBytes)}, host link ${kb(r.chip.hostBytes)}`,
    );
  }
  if (r.out) lines.push(`deployed graph saved to ${r.out}`);
  return lines;
}
