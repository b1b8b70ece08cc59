/**
 * Which operators does onnxruntime write when it optimises a model, which of them does Polychip's
 * importer not read, and do the optimised models run? Opens each ONNX file with onnxruntime-node
 * at the given graph optimisation levels, saves the optimised model (`optimizedModelFilePath`)
 * into a temp folder and lists the (domain, op type) pairs of the saved graphs (subgraphs
 * included) that the importer's registration table lacks, with how many models and nodes carry
 * each. With --check, every optimised model that holds an operator its original did not is run
 * on the cpu: a conformance folder's on its test data (beside the original, by the conformance
 * runner, rtol 1e-3 / atol 1e-4), a real-model suite model against onnxruntime-node on the
 * original with the suite's inputs and tolerances (real-models.test.ts).
 *
 *   node --import tsx scripts/ort-optimize-corpus.ts [--levels basic,extended,all] [--check LEVEL] [--keep DIR] [--json FILE] [paths…]
 *
 * Paths are .onnx files or folders searched for them; without any, the committed corpora
 * (onnx-light-models, onnx-models, burn-onnx-cases, tract-cases) and the real-model cache
 * (~/.cache/polychip/onnx-models, or POLYCHIP_MODEL_CACHE).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import "@polychip/devices";
import { runTest } from "../src/conformance.ts";
import { modelCacheDir, REAL_MODELS } from "../src/real-models/cache.ts";
import { readOnnxModel } from "../src/read-model.ts";
import { importerKnows, opCounts, optimizedTestFolder, realModelMismatch, saveOptimized, type OptimizationLevel } from "../src/testing/ort-optimize.ts";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const DEFAULT_FOLDERS = [
  ...["onnx-light-models", "onnx-models", "burn-onnx-cases", "tract-cases"].map((c) => join(PACKAGE, "conformance", c)),
  modelCacheDir(),
];
const TOLERANCE = { rtol: 1e-3, atol: 1e-4 };

type Ort = typeof import("onnxruntime-node");

function onnxFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return path.endsWith(".onnx") ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => onnxFiles(join(path, entry)));
}

/** A readable name: the path inside the package, or the real-model suite's name for a cached file. */
function displayName(file: string): string {
  const real = REAL_MODELS.find((m) => basename(file) === `${m.sha256}.onnx`);
  if (real) return real.name;
  const inside = relative(PACKAGE, file);
  return inside.startsWith("..") ? basename(file) : inside.replace(/^conformance\//, "").replace(/\/model\.onnx$/, "");
}

/** "pass", or why not: the optimised model run on the cpu against its reference. */
async function check(ort: Ort, file: string, saved: string, scratch: string): Promise<string> {
  const real = REAL_MODELS.find((m) => basename(file) === `${m.sha256}.onnx`);
  if (real) return (await realModelMismatch(ort, real, file, saved, "cpu").then((why) => (why ? `fail: ${why}` : undefined))) ?? "pass";
  if (basename(file) !== "model.onnx" || !readdirSync(dirname(file)).some((e) => e.startsWith("test_data_set_"))) return "no test data";
  const original = await runTest({ name: "original", dir: dirname(file) }, TOLERANCE);
  const folder = optimizedTestFolder(dirname(file), new Uint8Array(readFileSync(saved)), scratch);
  const optimized = await runTest({ name: "optimized", dir: folder }, TOLERANCE);
  const status = optimized.status === "pass" ? "pass" : `${optimized.status}: ${optimized.reason}`;
  return original.status === "pass" ? status : `${status} (the original: ${original.status})`;
}

interface Tally {
  models: Set<string>;
  nodes: number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args.splice(i, 2)[1];
  };
  const levels = (option("--levels") ?? "basic,extended,all").split(",") as OptimizationLevel[];
  const checkLevel = option("--check") as OptimizationLevel | undefined;
  const keep = option("--keep");
  const jsonOut = option("--json");
  if (checkLevel && !levels.includes(checkLevel)) levels.push(checkLevel);
  const files = (args.length ? args : DEFAULT_FOLDERS).flatMap(onnxFiles);
  const ort = await import("onnxruntime-node");
  const out = keep ?? mkdtempSync(join(tmpdir(), "ort-optimized-"));
  const tallies = new Map<OptimizationLevel, Map<string, Tally>>(levels.map((l) => [l, new Map()]));
  const refused: string[] = [];
  const checks: Record<string, { introduced: string[]; result: string }> = {};
  for (const [i, file] of files.entries()) {
    const name = displayName(file);
    const original = opCounts(readOnnxModel(file));
    for (const level of levels) {
      const saved = join(out, level, `${name.replace(/[^\w.-]+/g, "_")}.onnx`);
      try {
        await saveOptimized(ort, file, level, saved);
      } catch (err) {
        refused.push(`${name} (${level}): ${(err as Error).message.split("\n")[0]}`);
        continue;
      }
      const counts = opCounts(readOnnxModel(saved));
      for (const [key, nodes] of counts) {
        const [domain, opType] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
        if (importerKnows(domain === "ai.onnx" ? "" : domain, opType)) continue;
        const tally = tallies.get(level)!.get(key) ?? { models: new Set(), nodes: 0 };
        tally.models.add(name);
        tally.nodes += nodes;
        tallies.get(level)!.set(key, tally);
      }
      const introduced = [...counts.keys()].filter((k) => !original.has(k));
      if (level === checkLevel && introduced.length > 0) {
        const result = await check(ort, file, saved, join(out, "check", String(i))).catch((err: Error) => `error: ${err.message.split("\n")[0]}`);
        checks[name] = { introduced, result };
        console.error(`# ${name}: ${result}`);
      }
    }
    if ((i + 1) % 50 === 0) console.error(`# ${i + 1}/${files.length} files`);
  }
  console.log(`# ${files.length} files; optimised models in ${out}`);
  const report: Record<string, unknown> = { files: files.length, refusedByOnnxruntime: refused, levels: {}, checks };
  for (const level of levels) {
    const table = [...tallies.get(level)!].sort((a, b) => b[1].models.size - a[1].models.size || a[0].localeCompare(b[0]));
    const models = new Set(table.flatMap(([, t]) => [...t.models]));
    console.log(`\n## level ${level}: ${models.size} optimised models hold ops the importer lacks\n`);
    console.log("| domain:op | models | nodes | e.g. |\n|---|---|---|---|");
    for (const [key, t] of table) console.log(`| ${key} | ${t.models.size} | ${t.nodes} | ${[...t.models].slice(0, 3).join(", ")} |`);
    (report.levels as Record<string, unknown>)[level] = Object.fromEntries(table.map(([key, t]) => [key, { models: [...t.models].sort(), nodes: t.nodes }]));
  }
  if (checkLevel) {
    const results = Object.entries(checks);
    console.log(
      `\n## ${checkLevel}: optimised models with ops their originals lack, run on the cpu: ${results.filter(([, c]) => c.result === "pass").length} of ${results.length} pass\n`,
    );
    for (const [name, c] of results) console.log(`- ${name} [${c.introduced.join(", ")}]: ${c.result}`);
  }
  console.log(`\n## onnxruntime refused ${refused.length} (model, level) pairs${refused.length ? `, e.g. ${refused[0]}` : ""}`);
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(report, null, 2)}\n`);
  if (!keep) rmSync(out, { recursive: true, force: true });
}

await main();
