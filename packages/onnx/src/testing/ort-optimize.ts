import { cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DOMAIN_IMPORTERS, OP_IMPORTERS } from "../import/ops/index.ts";
import { decodeModel, encodeTensorProto } from "../proto/codec.ts";
import type { AttributeProto, GraphProto, ModelProto } from "../proto/types.ts";
import type { RealModel } from "../real-models/cache.ts";
import { onnxruntimeFeeds, polychipFeeds } from "../real-models/feeds.ts";
import { REAL_MODEL_INPUTS } from "../real-models/inputs.ts";
import { readOnnxModel } from "../read-model.ts";
import { OnnxSession } from "../session.ts";

/**
 * Models as onnxruntime's own graph optimiser saves them (session option optimizedModelFilePath):
 * the fused operators it writes are what users who ship "optimised" ONNX files hand Polychip.
 */

export type OptimizationLevel = "basic" | "extended" | "all";

type Ort = typeof import("onnxruntime-node");

/** Opens `model` in onnxruntime-node at `level` and saves the optimised graph to `savedPath`. */
export async function saveOptimized(ort: Ort, model: string | Uint8Array, level: OptimizationLevel, savedPath: string): Promise<void> {
  mkdirSync(dirname(savedPath), { recursive: true });
  const options = {
    graphOptimizationLevel: level,
    optimizedModelFilePath: savedPath,
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  } as const;
  const session = typeof model === "string" ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  await session.release();
}

const DEFAULT_DOMAINS = new Set(["", "ai.onnx"]);

/** Whether the importer's registration table has this (domain, op type), as lowerNode looks it up. */
export function importerKnows(domain: string, opType: string): boolean {
  return DEFAULT_DOMAINS.has(domain) ? OP_IMPORTERS[opType] !== undefined : DOMAIN_IMPORTERS[domain]?.[opType] !== undefined;
}

/** Node counts per "domain:opType" ("ai.onnx" for the default domain) over a graph and all its subgraphs. */
export function opCounts(model: ModelProto): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (graph: GraphProto | undefined | null) => {
    for (const node of graph?.node ?? []) {
      const key = `${node.domain || "ai.onnx"}:${node.opType}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      for (const attr of node.attribute ?? ([] as AttributeProto[])) {
        visit(attr.g);
        for (const g of attr.graphs ?? []) visit(g);
      }
    }
  };
  visit(model.graph);
  return counts;
}

/** The graph's run-time inputs (not initializers), in order: what a test data set's input_N.pb files feed. */
function runtimeInputs(model: ModelProto): string[] {
  const initializers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return (model.graph?.input ?? []).map((v) => v.name ?? "").filter((n) => !initializers.has(n));
}

/**
 * A conformance test folder for the optimised model: `optimized` as model.onnx with the original
 * folder's test data sets. onnxruntime keeps an IR-3 model's graph inputs that only fed folded
 * initializers and drops the initializers, so those dangling inputs (onnxruntime itself then
 * asks for them) are fed the original initializers' values.
 */
export function optimizedTestFolder(originalDir: string, optimized: Uint8Array, into: string): string {
  const original = readOnnxModel(join(originalDir, "model.onnx"));
  const originalInputs = runtimeInputs(original);
  const initializers = new Map((original.graph?.initializer ?? []).map((t) => [t.name ?? "", t]));
  const dir = join(into, basename(originalDir));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.onnx"), optimized);
  for (const set of readdirSync(originalDir).filter((e) => e.startsWith("test_data_set_"))) {
    const [from, to] = [join(originalDir, set), join(dir, set)];
    mkdirSync(to);
    for (const f of readdirSync(from)) if (f.startsWith("output_")) cpSync(join(from, f), join(to, f));
    runtimeInputs(decodeModel(optimized)).forEach((name, i) => {
      const j = originalInputs.indexOf(name);
      const initializer = initializers.get(name);
      if (j >= 0) cpSync(join(from, `input_${j}.pb`), join(to, `input_${i}.pb`));
      else if (initializer) writeFileSync(join(to, `input_${i}.pb`), encodeTensorProto(initializer));
      else throw new Error(`${originalDir}: the optimised model's input '${name}' is neither an input nor an initializer of the original`);
    });
  }
  return dir;
}

/**
 * The real-model suite's check (real-models.test.ts) of an optimised model: `optimized` run in an
 * OnnxSession on `device` with the suite's inputs for `model`, against onnxruntime-node on the
 * original, by rtol 1e-3 / atol 1e-4 or the cosine bound models.json sets. Undefined when it
 * passes, else why not.
 */
export async function realModelMismatch(ort: Ort, model: RealModel, original: string, optimized: string, device: string): Promise<string | undefined> {
  const cases = REAL_MODEL_INPUTS[model.name];
  if (!cases) return `no inputs for ${model.name} in real-models/inputs.ts`;
  const session = await OnnxSession.create(readOnnxModel(optimized), { device });
  const reference = await ort.InferenceSession.create(original);
  const minCosine = model.cosine && (model.cosine.devices?.includes(device) ?? true) ? model.cosine.min : undefined;
  try {
    for (const feeds of cases()) {
      const got = await session.run(polychipFeeds(feeds));
      const want = await reference.run(onnxruntimeFeeds(feeds, (type, data, dims) => new ort.Tensor(type, data, dims)));
      for (const name of reference.outputNames) {
        const [g, w] = [got[name]!.data, want[name]!.data as Float32Array];
        const at = `'${name}' at [${Object.values(feeds)[0]!.shape}]`;
        if (got[name]!.shape.join() !== want[name]!.dims.join()) return `${at}: shape [${got[name]!.shape}], onnxruntime [${want[name]!.dims}]`;
        if (minCosine !== undefined) {
          let [dot, gg, ww] = [0, 0, 0];
          for (let i = 0; i < w.length; i++) [dot, gg, ww] = [dot + g[i]! * w[i]!, gg + g[i]! ** 2, ww + w[i]! ** 2];
          const cosine = dot / Math.sqrt(gg * ww);
          if (!(cosine >= minCosine)) return `${at}: cosine similarity ${cosine} < ${minCosine}`;
          continue;
        }
        let worst = 0;
        for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!) - 1e-3 * Math.abs(w[i]!));
        if (!(worst <= 1e-4)) return `${at}: |got − onnxruntime| exceeds 1e-4 + 1e-3·|expected| by ${worst}`;
      }
    }
    return undefined;
  } finally {
    session.dispose();
    await reference.release();
  }
}
