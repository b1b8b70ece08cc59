import { readFileSync } from "node:fs";
import { decodeModel } from "@polychip/onnx";
import { fetchModel, REAL_MODEL_INPUTS, REAL_MODELS, type RealModelFeeds } from "@polychip/onnx/real-models";

export { onnxruntimeFeeds, polychipFeeds } from "@polychip/onnx/real-models";
import { modelCase, type ModelCase } from "../cases.ts";

/** `--models`: every model of @polychip/onnx's real-model suite that has inputs defined and is not marked `bench: false`, on its first input set. */
export function realModelCases(): ModelCase[] {
  return REAL_MODELS.filter((m) => REAL_MODEL_INPUTS[m.name] && m.bench !== false).map((m) => {
    const first = Object.values(REAL_MODEL_INPUTS[m.name]!()[0]!)[0]!;
    return modelCase(m.name, m.task.split(" (")[0]!, first.shape);
  });
}

/** Fetches every suite model into the cache once, before the passes' child processes read it. */
export async function fetchRealModels(cases: readonly ModelCase[]): Promise<void> {
  for (const c of cases) await fetchModel(suiteModel(c));
}

function suiteModel(c: ModelCase) {
  const model = REAL_MODELS.find((m) => m.name === c.model);
  if (!model) throw new Error(`${c.id}: no model '${c.model}' in @polychip/onnx's real-model suite`);
  return model;
}

/** A model case's bytes, its first input set, and the output the runners' results are compared on (the graph's first). */
export async function loadRealModel(c: ModelCase): Promise<{ bytes: Uint8Array; feeds: RealModelFeeds; output: string }> {
  const path = await fetchModel(suiteModel(c));
  const b = readFileSync(path);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const output = decodeModel(bytes).graph?.output?.[0]?.name;
  if (!output) throw new Error(`${c.id}: the model declares no output`);
  return { bytes, feeds: REAL_MODEL_INPUTS[c.model]!()[0]!, output };
}
