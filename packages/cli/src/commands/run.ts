// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { DType } from "@polychip/hal";
import { createSession, FormatError, type HostOutput, type HostTensor } from "@polychip/engine/runtime";
import { fileError, parsingFile } from "../files.ts";
import { loadModel, openOnnxSession, type OnnxOutputValue } from "../model-files.ts";

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
  /** Numbers, or strings for an ONNX STRING output. */
  data?: number[] | string[];
  preview?: number[] | string[];
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

/**
 * An input of the --input file: a tensor; for an ONNX model also a sequence (a JSON array of
 * tensors) or an absent optional (null).
 */
export type InputValue = HostTensor | StringInput | readonly InputValue[] | null;

/** An ONNX STRING input: `"dtype": "string"` and a data array of strings. */
export interface StringInput {
  readonly shape: number[];
  readonly data: string[];
  readonly dtype: "string";
}

/**
 * Reads the --input file: every tensor needs a shape and flat data (nested arrays are flattened);
 * an array of tensors is a sequence and null an absent optional (ONNX models only).
 */
export async function readInputFile(path: string): Promise<Record<string, InputValue>> {
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
  const value = (name: string, entry: unknown): InputValue => {
    if (entry === null) return null;
    if (Array.isArray(entry)) return entry.map((e, i) => value(`${name}[${i}]`, e));
    const e = entry as { shape?: unknown; data?: unknown; dtype?: unknown };
    if (!e || !Array.isArray(e.shape) || e.data === undefined)
      throw new FormatError(
        `input file ${path}: input '${name}' needs "shape" and "data" (or is an array of such tensors: a sequence, or null: an absent optional)`,
      );
    const data = (Array.isArray(e.data) ? e.data.flat(Infinity) : [e.data]) as unknown[];
    if (e.dtype === "string") {
      if (data.some((v) => typeof v !== "string"))
        throw new FormatError(`input file ${path}: input '${name}' has dtype "string" but data that is not a string`);
      return { shape: e.shape as number[], data: data as string[], dtype: "string" };
    }
    if (data.some((v) => typeof v !== "number" && typeof v !== "boolean"))
      throw new FormatError(`input file ${path}: input '${name}' has non-numeric data (give "dtype": "string" for an ONNX string input)`);
    // Beside Polychip's dtypes, ONNX's names (int64, float64) pass: an ONNX model's session converts them.
    if (e.dtype !== undefined && typeof e.dtype !== "string")
      throw new FormatError(`input file ${path}: input '${name}' has dtype ${JSON.stringify(e.dtype)}, not a name`);
    return { shape: e.shape as number[], data: data.map(Number), ...(e.dtype !== undefined ? { dtype: e.dtype as DType } : {}) };
  };
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([name, entry]) => [name, value(name, entry)]));
}

type OutputValue = OnnxOutputValue;

/** Outputs by name with each sequence element as its own entry ("parts[0]", "parts[1]"); absent optionals and empty sequences are listed apart. */
function flattenOutputs(values: Readonly<Record<string, OutputValue>>): { tensors: Record<string, HostOutput | StringOutput>; empty: string[] } {
  const tensors: Record<string, HostOutput | StringOutput> = {};
  const empty: string[] = [];
  const visit = (name: string, v: OutputValue): void => {
    if (v === null || v === undefined) empty.push(`${name}: absent (an optional without a value)`);
    else if (Array.isArray(v)) {
      if (v.length === 0) empty.push(`${name}: an empty sequence`);
      v.forEach((e, i) => visit(`${name}[${i}]`, e));
    } else tensors[name] = v as HostOutput | StringOutput;
  };
  for (const [name, v] of Object.entries(values)) visit(name, v);
  return { tensors, empty };
}

const PREVIEW = 16;

/** A STRING output of an ONNX model, as OnnxSession.runValues returns it. */
interface StringOutput {
  readonly dtype: "string";
  readonly shape: readonly number[];
  readonly data: readonly string[];
}

const isStrings = (o: HostOutput | StringOutput): o is StringOutput => o.dtype === ("string" as string);

function summarise(o: HostOutput | StringOutput): RunOutput {
  if (isStrings(o)) return { dtype: "string", shape: [...o.shape], preview: o.data.slice(0, PREVIEW) };
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

function formatOutput(name: string, o: RunOutput & { preview: number[] | string[] }, count: number): string {
  const values = (o.preview as (number | string)[]).map((v) =>
    typeof v === "string" ? JSON.stringify(v) : Number.isInteger(v) ? String(v) : v.toPrecision(6),
  );
  const more =
    count <= PREVIEW
      ? ""
      : o.dtype === "string"
        ? `, … (${count} strings)`
        : `, … (${count} values; min ${o.min!.toPrecision(6)}, max ${o.max!.toPrecision(6)}, mean ${o.mean!.toPrecision(6)})`;
  return `${name}: ${o.dtype}[${o.shape.join(", ")}] = [${values.join(", ")}${more}]`;
}

/** A model ready to run: a .pcm graph in one runtime session, or an ONNX model planned for the inputs' shapes. */
interface PreparedModel {
  readonly name: string;
  run(inputs: Record<string, InputValue>): Promise<Record<string, OutputValue>>;
  dispose(): void;
}

async function prepare(path: string, device: string, inputs: Record<string, InputValue>): Promise<PreparedModel> {
  if (extname(path).toLowerCase() === ".onnx") {
    const session = await openOnnxSession(path, device);
    try {
      // Planning (the import with the inputs' sizes bound) happens here, so the timed run is the run alone.
      const { graph } = await parsingFile(path, () => session.planFor(inputs));
      // runValues: sequence and optional outputs come back as such.
      return { name: graph.name, run: (feeds) => session.runValues(feeds), dispose: () => session.dispose() };
    } catch (err) {
      session.dispose();
      throw err;
    }
  }
  const graph = await loadModel(path);
  const session = await createSession(graph, { device });
  const tensorsOnly = (feeds: Record<string, InputValue>): Record<string, HostTensor> => {
    for (const [name, v] of Object.entries(feeds))
      if (v === null || Array.isArray(v))
        throw new FormatError(`input '${name}': ${path} is a Polychip model, whose inputs are tensors (sequences and optionals are for ONNX models)`);
    return feeds as Record<string, HostTensor>;
  };
  return { name: graph.name, run: (feeds) => session.run(tensorsOnly(feeds)), dispose: () => session.dispose() };
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
    const { tensors: outputs, empty } = flattenOutputs(await model.run(inputs));
    const milliseconds = performance.now() - started;
    if (args.json) {
      const plain = Object.fromEntries(
        Object.entries(outputs).map(([n, o]) => [n, { dtype: o.dtype, shape: [...o.shape], data: isStrings(o) ? [...o.data] : Array.from(o.data) }]),
      );
      return { model: args.model, device: args.device, outputs: plain, milliseconds };
    }
    const summaries = Object.fromEntries(Object.entries(outputs).map(([n, o]) => [n, summarise(o)]));
    for (const [name, o] of Object.entries(summaries))
      process.stdout.write(`${formatOutput(name, o as RunOutput & { preview: number[] | string[] }, outputs[name]!.data.length)}\n`);
    for (const line of empty) process.stdout.write(`${line}\n`);
    process.stdout.write(`ran ${model.name} on ${args.device} in ${milliseconds.toFixed(1)} ms\n`);
    return { model: args.model, device: args.device, outputs: summaries, milliseconds };
  } finally {
    model.dispose();
  }
}
