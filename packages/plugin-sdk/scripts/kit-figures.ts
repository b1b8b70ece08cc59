/**
 * Regenerates the kit figures of docs/writing-a-device-plugin.md: runs the conformance kit on the
 * cpu reference, the template and npu-sim, writes docs/kit-figures.json and the guide's table
 * from it. Run after changing kernels or the kit:
 *   node --import tsx packages/plugin-sdk/scripts/kit-figures.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { figureOf, loadPlugin, replaceFigures, runConformance } from "../src/kit/index.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PLUGINS: [string, string][] = [
  ["@polychip/device-cpu", "the reference against itself"],
  ["./plugins/template", "naive primitives, as scaffolded"],
  ["@polychip/npu-sim", "simulated MLU-class NPU"],
  ["./plugins/npu-sim/src/edge.ts", "the int8-only edge profile"],
];

const figures = [];
for (const [spec, label] of PLUGINS) {
  const report = await runConformance(await loadPlugin(spec, repo));
  figures.push(figureOf(report, label));
  process.stdout.write(`${report.plugin}: ${report.summary}\n`);
}
writeFileSync(join(repo, "docs/kit-figures.json"), `${JSON.stringify(figures, null, 2)}\n`);
const guide = join(repo, "docs/writing-a-device-plugin.md");
writeFileSync(guide, replaceFigures(readFileSync(guide, "utf8"), figures));
