// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { DType } from "@polychip/hal";
import { createSession, FormatError, type HostOutput, type HostTensor } from "@polychip/engine/runtime";
import { fileError, parsingFile } from "../files.ts";
import { loadModel, openOnnxSession } from "../model-files.ts";

export interface RunArgs {
  model: string;
  device: string;
  /** A JSON file {inputName: {shape: [...], data: [...], dtype?}}. */
  input: string;
  json: boolean;
}

/** One output: every value with --json; otherwise a summary (the first values and min/max/mean), never a copy of all of them. */
export interface RunOutput {
  dtype: string;
  shape: number[];
  data?: number[];
  preview?: number[];
  min?: number;
  max?: number;
  mean?: number;
}

export interface RunResult {
  model: string;
  device: string;
  outputs: Record<string, RunOutput>;
  milliseconds: number;
}

/** Reads the --input file: every entry needs a shape and flat data; nested arrays are flattened. */
export async function readInputFile(path: string): Promise<Record<string, HostTensor>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw fileError(path, 'an input file (JSON: {"<input name>": {"shape": [...], "data": [...]}})', err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`input file ${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new FormatError(`input file ${path}: expected an object {inputName: {shape, data}}`);
  const out: Record<string, HostTensor> = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const e = entry as { shape?: unknown; data?: unknown; dtype?: unknown };
    if (!e || !Array.isArray(e.shape) || e.data === undefined) throw new FormatError(`input file ${path}: input '${name}' needs "shape" and "data"`);
    const data = (Array.isArray(e.data) ? e.data.flat(Infinity) : [e.data]) as unknown[];
    if (data.some((v) => typeof v !== "number" && typeof v !== "boolean")) throw new FormatError(`input file ${path}: input '${name}' has non-numeric data`);
    // Beside Polychip's dtypes, ONNX's names (int64, float64) pass: an ONNX model's session converts them.
    if (e.dtype !== undefined && typeof e.dtype !== "string")
      throw new FormatError(`input file ${path}: input '${name}' has dtype ${JSON.stringify(e.dtype)}, not a name`);
    out[name] = { shape: e.shape as number[], data: data.map(Number), ...(e.dtype !== undefined ? { dtype: e.dtype as DType } : {}) };
  }
  return out;
}

const PREVIEW = 16;

function summarise(o: HostOutput): RunOutput {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < o.data.length; i++) {
    const v = o.data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { dtype: o.dtype, shape: [...o.shape], preview: Array.from(o.data.subarray(0, PREVIEW)), min, max, mean: sum / Math.max(o.data.length, 1) };
}

function formatOutput(name: string, o: RunOutput & { preview: number[] }, count: number): string {
  const values = o.preview.map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(6)));
  const more = count > PREVIEW ? `, … (${count} values; min ${o.min!.toPrecision(6)}, max ${o.max!.toPrecision(6)}, mean ${o.mean!.toPrecision(6)})` : "";
  return `${name}: ${o.dtype}[${o.shape.join(", ")}] = [${values.join(", ")}${more}]`;
}

/** A model ready to run: a .pcm graph in one runtime session, or an ONNX model planned for the inputs' shapes. */
interface PreparedModel {
  readonly name: string;
  run(inputs: Record<string, HostTensor>): Promise<Record<string, HostOutput>>;
  dispose(): void;
}

async function prepare(path: string, device: string, inputs: Record<string, HostTensor>): Promise<PreparedModel> {
  if (extname(path).toLowerCase() === ".onnx") {
    const session = await openOnnxSession(path, device);
    try {
      // Planning (the import with the inputs' sizes bound) happens here, so the timed run is the run alone.
      const { graph } = await parsingFile(path, () => session.planFor(inputs));
      return { name: graph.name, run: (feeds) => session.run(feeds), dispose: () => session.dispose() };
    } catch (err) {
      session.dispose();
      throw err;
    }
  }
  const graph = await loadModel(path);
  const session = await createSession(graph, { device });
  return { name: graph.name, run: (feeds) => session.run(feeds), dispose: () => session.dispose() };
}

/**
 * `polychip run`: runs a model once on the given inputs in the lean runtime. An .onnx model goes
 * through an OnnxSession, so symbolic dims (dynamic height/width, sequence length) take the inputs' sizes.
 */
export async function runCommand(args: RunArgs): Promise<RunResult> {
  const inputs = await readInputFile(args.input);
  const model = await prepare(args.model, args.device, inputs);
  try {
    const started = performance.now();
    const outputs = await model.run(inputs);
    const milliseconds = performance.now() - started;
    if (args.json) {
      const plain = Object.fromEntries(Object.entries(outputs).map(([n, o]) => [n, { dtype: o.dtype, shape: o.shape, data: Array.from(o.data) }]));
      return { model: args.model, device: args.device, outputs: plain, milliseconds };
    }
    const summaries = Object.fromEntries(Object.entries(outputs).map(([n, o]) => [n, summarise(o)]));
    for (const [name, o] of Object.entries(summaries))
      process.stdout.write(`${formatOutput(name, o as RunOutput & { preview: number[] }, outputs[name]!.data.length)}\n`);
    process.stdout.write(`ran ${model.name} on ${args.device} in ${milliseconds.toFixed(1)} ms\n`);
    return { model: args.model, device: args.device, outputs: summaries, milliseconds };
  } finally {
    model.dispose();
  }
}
