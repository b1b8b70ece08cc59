// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { dtypeBytes, PolychipError, sizeOf, UnsupportedOpError, type TensorMeta } from "@polychip/hal";
import { getDeviceEntry } from "@polychip/engine/core";
import { fuseElementwise, inferShapes, isStructuralOp, type Graph, type ValueInfo } from "@polychip/engine/graph";
import { formatBytes, planPeak, useDevice } from "@polychip/engine/runtime";
import { extname } from "node:path";
import { parsingFile } from "../files.ts";
import { loadModel, openOnnxSession, saveModel } from "../model-files.ts";
import { readInputFile } from "./run.ts";

export interface CompileArgs {
  model: string;
  device: string;
  /** Print every fused kernel's generated source. */
  report: boolean;
  /** Writes the fused graph as a .pcm model (sessions also fuse on load; this file carries the plan). */
  out?: string;
  /** Inputs (as for `polychip run`) whose shapes an ONNX model with dynamic dims is planned for. */
  input?: string;
  json: boolean;
}

export interface FusedKernelReport {
  name: string;
  ops: string[];
  inputs: number;
  outputs: number;
  /** The device's generated source, or undefined when it runs the unfused ops instead. */
  source?: string;
}

export interface CompileResult {
  model: string;
  device: string;
  before: { kernels: number; plannedPeakBytes: number };
  after: { kernels: number; fusedKernels: number; plannedPeakBytes: number };
  /** Symbolic dims (a batch) were taken as 1 to size memory. */
  symbolicDims: string[];
  /**
   * Values the plan computed from --input and fixed (an If's condition on the data, a Range's
   * limit): the compiled graph holds only the branch they select; inputs that select another
   * need their own plan.
   */
  assumed: Record<string, number[]>;
  /** Inputs the plan no longer reads once those values are fixed (a sample rate): the compiled graph does not take them. */
  droppedInputs: string[];
  fused: FusedKernelReport[];
  out?: string;
}

const kernels = (g: Graph) => g.nodes.filter((n) => !isStructuralOp(n.op)).length;

/** Concrete metas of every value, symbolic dims taken as 1. */
function concreteShapes(graph: Graph): { metas: Map<string, TensorMeta>; symbols: Set<string> } {
  const symbols = new Set<string>();
  const metas = new Map<string, TensorMeta>();
  for (const [name, info] of inferShapes(graph) as Map<string, ValueInfo>) {
    const shape = info.shape.map((d) => {
      if (typeof d === "number") return d;
      symbols.add(String(d));
      return 1;
    });
    metas.set(name, { dtype: info.dtype, shape });
  }
  return { metas, symbols };
}

function plannedPeak(graph: Graph): { bytes: number; symbols: Set<string> } {
  const { metas, symbols } = concreteShapes(graph);
  const bytesOf = (name: string) => {
    const m = metas.get(name);
    return m ? sizeOf(m.shape) * dtypeBytes(m.dtype) : undefined;
  };
  const fixed = graph.initializers.reduce((s, i) => s + sizeOf(i.shape) * dtypeBytes(i.dtype), 0);
  const inputs = graph.inputs.reduce((s, i) => s + (bytesOf(i.name) ?? 0), 0);
  const peak = planPeak(
    graph.nodes,
    bytesOf,
    fixed + inputs,
    graph.outputs.map((o) => o.name),
  );
  return { bytes: peak.bytes, symbols };
}

/**
 * `polychip compile`: what graph mode does to a deployable model on one device: kernels before and
 * after fusing elementwise chains, the planned peak memory of both, and (with --report) the source
 * the device generates for each fused kernel.
 */
export async function compileCommand(args: CompileArgs): Promise<CompileResult> {
  const planned = await graphOf(args);
  const assumed = planned.assumed;
  // Inputs that only chose a branch are gone from a plan that fixed it: the compiled graph refuses
  // them by name rather than taking a value it would ignore.
  const graph = Object.keys(assumed).length > 0 ? withoutUnreadInputs(planned.graph) : planned.graph;
  const droppedInputs = planned.graph.inputs.filter((v) => !graph.inputs.includes(v)).map((v) => v.name);
  await useDevice(args.device);
  const device = getDeviceEntry(args.device).device;
  const fused = fuseElementwise(graph);
  const before = plannedPeak(graph);
  const after = plannedPeak(fused);
  const { metas } = concreteShapes(fused);
  const reports: FusedKernelReport[] = fused.nodes
    .filter((n) => n.op === "fused")
    .map((n, i) => {
      const program = JSON.parse(n.attrs.program as string) as { op: string }[];
      const inputs = n.inputs.map((name) => metas.get(name)!);
      return {
        name: n.name ?? `fused${i}`,
        ops: program.map((s) => s.op),
        inputs: n.inputs.length,
        outputs: n.outputs.length,
        source: device.kernelSource?.("fused", inputs, n.attrs),
      };
    });
  if (args.out) await saveModel(fused, args.out);
  const result: CompileResult = {
    model: args.model,
    device: args.device,
    before: { kernels: kernels(graph), plannedPeakBytes: before.bytes },
    after: { kernels: kernels(fused), fusedKernels: reports.length, plannedPeakBytes: after.bytes },
    symbolicDims: [...before.symbols],
    assumed,
    droppedInputs,
    fused: reports,
    ...(args.out ? { out: args.out } : {}),
  };
  if (!args.json) process.stdout.write(formatReport(result, args.report));
  return result;
}

function withoutUnreadInputs(graph: Graph): Graph {
  const read = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return { ...graph, inputs: graph.inputs.filter((v) => read.has(v.name)) };
}

/**
 * The model's graph; an ONNX model with --input is planned for those inputs, as `run` does: its
 * shapes, and the values computed from its data that the plan needs (an If's condition).
 */
async function graphOf(args: CompileArgs): Promise<{ graph: Graph; assumed: Record<string, number[]> }> {
  if (!args.input) {
    try {
      return { graph: await loadModel(args.model), assumed: {} };
    } catch (err) {
      if (err instanceof Error && err.name === "RunTimeValueError")
        throw new UnsupportedOpError(
          `compile: ${err.message}. Which part of such a model runs depends on its input data, so compile plans it for given inputs: ` +
            "pass --input inputs.json (as for polychip run); the plan then holds the branch those inputs take",
        );
      throw err;
    }
  }
  if (extname(args.model).toLowerCase() !== ".onnx")
    throw new PolychipError("compile: --input applies to .onnx models (a .pcm model's shapes are in the file)");
  const inputs = await readInputFile(args.input);
  const session = await openOnnxSession(args.model, args.device);
  try {
    const plan = await parsingFile(args.model, () => session.planFor(inputs));
    const assumed = Object.fromEntries(Object.entries(plan.assumed ?? {}).map(([name, t]) => [name, Array.from(t.data, Number)]));
    return { graph: plan.graph, assumed };
  } finally {
    session.dispose();
  }
}

function formatReport(r: CompileResult, withSources: boolean): string {
  const sized = r.symbolicDims.length ? ` (${r.symbolicDims.join(", ")} taken as 1)` : "";
  const lines = [
    `${r.model} on ${r.device}`,
    `  kernels: ${r.before.kernels} -> ${r.after.kernels} (${r.after.fusedKernels} fused)`,
    `  planned peak memory${sized}: ${formatBytes(r.before.plannedPeakBytes)} -> ${formatBytes(r.after.plannedPeakBytes)}`,
  ];
  const assumed = Object.entries(r.assumed);
  if (assumed.length > 0) {
    const values = assumed.map(([name, v]) => `'${name}' = ${v.length === 1 ? v[0] : `[${v.join(", ")}]`}`).join(", ");
    lines.push(`  planned for --input, with ${values} computed from its data: inputs that give other values take another branch and need their own plan`);
    if (r.droppedInputs.length > 0) lines.push(`  inputs the plan no longer takes: ${r.droppedInputs.map((n) => `'${n}'`).join(", ")}`);
  }
  for (const k of r.fused) {
    lines.push(
      `  ${k.name}: ${k.ops.join(" -> ")} (${k.inputs} in, ${k.outputs} out)${k.source ? "" : " — no generated kernel on this device: runs the ops one by one"}`,
    );
    if (withSources && k.source) lines.push(...k.source.split("\n").map((l) => `      ${l}`));
  }
  if (r.out) lines.push(`  wrote the fused graph to ${r.out}`);
  return `${lines.join("\n")}\n`;
}
