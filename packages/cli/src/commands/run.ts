import { readFile } from "node:fs/promises";
import { isDType, PolychipError } from "@polychip/hal";
import { createSession, FormatError, type HostOutput, type HostTensor } from "@polychip/engine/runtime";
import { loadModel } from "../model-files.ts";

export interface RunArgs {
  model: string;
  device: string;
  /** A JSON file {inputName: {shape: [...], data: [...], dtype?}}. */
  input: string;
  json: boolean;
}

export interface RunResult {
  model: string;
  device: string;
  outputs: Record<string, { dtype: string; shape: number[]; data: number[] }>;
  milliseconds: number;
}

/** Reads the --input file: every entry needs a shape and flat data; nested arrays are flattened. */
export async function readInputFile(path: string): Promise<Record<string, HostTensor>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new PolychipError(`cannot read input file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`input file ${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new FormatError(`input file ${path}: expected an object {inputName: {shape, data}}`);
  const out: Record<string, HostTensor> = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    const e = entry as { shape?: unknown; data?: unknown; dtype?: unknown };
    if (!e || !Array.isArray(e.shape) || e.data === undefined) throw new FormatError(`input file ${path}: input '${name}' needs "shape" and "data"`);
    const data = (Array.isArray(e.data) ? e.data.flat(Infinity) : [e.data]) as unknown[];
    if (data.some((v) => typeof v !== "number" && typeof v !== "boolean")) throw new FormatError(`input file ${path}: input '${name}' has non-numeric data`);
    if (e.dtype !== undefined && !isDType(e.dtype)) throw new FormatError(`input file ${path}: input '${name}' has unknown dtype ${JSON.stringify(e.dtype)}`);
    out[name] = { shape: e.shape as number[], data: data.map(Number), ...(isDType(e.dtype) ? { dtype: e.dtype } : {}) };
  }
  return out;
}

const PREVIEW = 16;

function formatOutput(name: string, o: HostOutput): string {
  const values = Array.from(o.data.slice(0, PREVIEW), (v) => (Number.isInteger(v) ? String(v) : v.toPrecision(6)));
  const more = o.data.length > PREVIEW ? `, … (${o.data.length} values)` : "";
  return `${name}: ${o.dtype}[${o.shape.join(", ")}] = [${values.join(", ")}${more}]`;
}

/** `polychip run`: loads a .pcm/.onnx model in the lean runtime and runs it once on the given inputs. */
export async function runCommand(args: RunArgs): Promise<RunResult> {
  const graph = await loadModel(args.model);
  const inputs = await readInputFile(args.input);
  const session = await createSession(graph, { device: args.device });
  try {
    const started = performance.now();
    const outputs = await session.run(inputs);
    const milliseconds = performance.now() - started;
    if (!args.json) {
      for (const [name, o] of Object.entries(outputs)) process.stdout.write(`${formatOutput(name, o)}\n`);
      process.stdout.write(`ran ${graph.name} on ${args.device} in ${milliseconds.toFixed(1)} ms\n`);
    }
    const plain = Object.fromEntries(Object.entries(outputs).map(([n, o]) => [n, { dtype: o.dtype, shape: o.shape, data: Array.from(o.data) }]));
    return { model: args.model, device: args.device, outputs: plain, milliseconds };
  } finally {
    session.dispose();
  }
}
