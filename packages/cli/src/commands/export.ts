import { loadCheckpoint } from "@polychip/engine";
import { optimize, printGraph, trace, type Graph } from "@polychip/engine/graph";
import { FormatError } from "@polychip/engine/runtime";
import { checkOutputPath, parsingFile, readBytes } from "../files.ts";
import { saveModel, saveOnnx } from "../model-files.ts";
import { rebuildFromCheckpoint } from "../checkpoint-models.ts";
import { checkFiniteState } from "../numerics.ts";

export interface ExportArgs {
  checkpoint: string;
  out: string;
  onnx?: string;
  json: boolean;
  /** Print the optimised graph. */
  print?: boolean;
}

export interface ExportResult {
  model: string;
  out: string;
  bytes: number;
  nodes: number;
  initializers: number;
  onnx?: string;
  onnxBytes?: number;
}

/** Rebuilds the model a checkpoint was trained with, loads its state and traces it for any batch size. */
export async function graphFromCheckpoint(path: string): Promise<{ graph: Graph; model: string }> {
  const bytes = await readBytes(path, "checkpoint (.pcck)");
  const { meta, state } = await parsingFile(path, () => loadCheckpoint(bytes));
  try {
    await checkFiniteState(state, path);
  } catch (err) {
    for (const t of state.values()) t.dispose();
    throw err;
  }
  const { name, module, example, metadata } = rebuildFromCheckpoint(meta, state, path);
  try {
    const traced = await trace(module, [example], { dynamicBatch: true, name, metadata });
    return { graph: await optimize(traced), model: name };
  } finally {
    example.dispose();
    module.dispose();
  }
}

/** `polychip export`: checkpoint → traced, optimised graph → .pcm (and .onnx). */
export async function exportCommand(args: ExportArgs): Promise<ExportResult> {
  await checkOutputPath(args.out, "model file");
  if (args.onnx) await checkOutputPath(args.onnx, "ONNX file");
  const { graph, model } = await graphFromCheckpoint(args.checkpoint);
  const log = (line: string) => !args.json && process.stdout.write(`${line}\n`);
  if (args.print) log(printGraph(graph));
  const bytes = await saveModel(graph, args.out);
  log(`exported ${model}: ${graph.nodes.length} nodes, ${graph.initializers.length} initializers → ${args.out} (${(bytes / 1024).toFixed(0)} KiB)`);
  const result: ExportResult = { model, out: args.out, bytes, nodes: graph.nodes.length, initializers: graph.initializers.length };
  if (args.onnx) {
    result.onnxBytes = await saveOnnx(graph, args.onnx);
    result.onnx = args.onnx;
    log(`ONNX → ${args.onnx} (${(result.onnxBytes / 1024).toFixed(0)} KiB)`);
  }
  return result;
}
