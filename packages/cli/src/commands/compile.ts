// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { dtypeBytes, EPILOGUE_BASES, PolychipError, sizeOf, type TensorMeta } from "@polychip/hal";
import { findKernel, getDeviceEntry } from "@polychip/engine/core";
import { fuseElementwise, fuseEpilogues, inferShapes, isStructuralOp, type Graph, type ValueInfo } from "@polychip/engine/graph";
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
  /** `fused`, or a GEMM epilogue (conv2dEpilogue, matmulEpilogue): its ops start with the GEMM. */
  op: string;
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
  after: { kernels: number; fusedKernels: number; epilogueKernels: number; plannedPeakBytes: number };
  /** Symbolic dims (a batch) were taken as 1 to size memory. */
  symbolicDims: string[];
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
 * after fusing elementwise chains and GEMM epilogues, the planned peak memory of both, and (with
 * --report) the source the device generates for each fused kernel.
 */
export async function compileCommand(args: CompileArgs): Promise<CompileResult> {
  const graph = await graphOf(args);
  await useDevice(args.device);
  const entry = getDeviceEntry(args.device);
  const device = entry.device;
  // As createSession does: elementwise chains, then GEMM epilogues where the device has their kernels.
  const fused = fuseEpilogues(fuseElementwise(graph), { supports: (op) => findKernel(entry, op, "float32") !== undefined });
  const before = plannedPeak(graph);
  const after = plannedPeak(fused);
  const { metas } = concreteShapes(fused);
  const reports: FusedKernelReport[] = fused.nodes
    .filter((n) => n.op === "fused" || n.op in EPILOGUE_BASES)
    .map((n, i) => {
      const program = JSON.parse(n.attrs.program as string) as { op: string }[];
      const inputs = n.inputs.map((name) => metas.get(name)!);
      const gemm = EPILOGUE_BASES[n.op]?.base;
      return {
        name: n.name ?? `${n.op}${i}`,
        op: n.op,
        ops: [...(gemm ? [gemm] : []), ...program.map((s) => s.op)],
        inputs: n.inputs.length,
        outputs: n.outputs.length,
        source: device.kernelSource?.(n.op, inputs, n.attrs),
      };
    });
  if (args.out) await saveModel(fused, args.out);
  const result: CompileResult = {
    model: args.model,
    device: args.device,
    before: { kernels: kernels(graph), plannedPeakBytes: before.bytes },
    after: { kernels: kernels(fused), fusedKernels: reports.length, epilogueKernels: reports.filter((k) => k.op !== "fused").length, plannedPeakBytes: after.bytes },
    symbolicDims: [...before.symbols],
    fused: reports,
    ...(args.out ? { out: args.out } : {}),
  };
  if (!args.json) process.stdout.write(formatReport(result, args.report));
  return result;
}

/** The model's graph; an ONNX model with --input is planned for those inputs' shapes, as `run` does. */
async function graphOf(args: CompileArgs): Promise<Graph> {
  if (!args.input) return loadModel(args.model);
  if (extname(args.model).toLowerCase() !== ".onnx")
    throw new PolychipError("compile: --input applies to .onnx models (a .pcm model's shapes are in the file)");
  const inputs = await readInputFile(args.input);
  const session = await openOnnxSession(args.model, args.device);
  try {
    return (await parsingFile(args.model, () => session.planFor(inputs))).graph;
  } finally {
    session.dispose();
  }
}

function formatReport(r: CompileResult, withSources: boolean): string {
  const sized = r.symbolicDims.length ? ` (${r.symbolicDims.join(", ")} taken as 1)` : "";
  const lines = [
    `${r.model} on ${r.device}`,
    `  kernels: ${r.before.kernels} -> ${r.after.kernels} (${r.after.fusedKernels} fused, ${r.after.epilogueKernels} of them GEMM epilogues)`,
    `  planned peak memory${sized}: ${formatBytes(r.before.plannedPeakBytes)} -> ${formatBytes(r.after.plannedPeakBytes)}`,
  ];
  for (const k of r.fused) {
    lines.push(
      `  ${k.name}: ${k.ops.join(" -> ")} (${k.inputs} in, ${k.outputs} out)${k.source ? "" : " — no generated kernel on this device: runs the ops one by one"}`,
    );
    if (withSources && k.source) lines.push(...k.source.split("\n").map((l) => `      ${l}`));
  }
  if (r.out) lines.push(`  wrote the fused graph to ${r.out}`);
  return `${lines.join("\n")}\n`;
}
