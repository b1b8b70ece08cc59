// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { dtypeBytes, EPILOGUE_BASES, PolychipError, sizeOf, UnsupportedOpError, type TensorMeta } from "@polychip/hal";
import { findKernel, getDeviceEntry } from "@polychip/engine/core";
import { inferShapes, isStructuralOp, loadTimePasses, type Graph, type ValueInfo } from "@polychip/engine/graph";
import { formatBytes, planPeak, useDevice } from "@polychip/engine/runtime";
import { extname } from "node:path";
import { parsingFile } from "../files.ts";
import { loadModel, openOnnxSession, saveModel } from "../model-files.ts";
import { branchPlans, type BranchPlan } from "./compile-branches.ts";
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

/** What one plan of the model compiles to. */
export interface PlanReport {
  before: { kernels: number; plannedPeakBytes: number };
  after: { kernels: number; fusedKernels: number; epilogueKernels: number; plannedPeakBytes: number };
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
}

export interface CompileResult extends PlanReport {
  model: string;
  device: string;
  /**
   * Without --input, a model whose If conditions depend on its data gets one plan per
   * combination of their values (each then- and else-branch): all of them here, the first also
   * at the top level.
   */
  branches?: PlanReport[];
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
  const plans = await graphsOf(args);
  if (args.out && plans.length > 1) {
    const conditions = Object.keys(plans[0]!.assumed)
      .map((n) => `'${n}'`)
      .join(", ");
    throw new UnsupportedOpError(
      `compile --out: ${args.model} gives ${plans.length} plans (its If conditions ${conditions} depend on the data); pass --input to choose the one to write`,
    );
  }
  await useDevice(args.device);
  const compiled = plans.map((p) => compilePlan(p, args.device));
  if (args.out) await saveModel(compiled[0]!.fused, args.out);
  const result: CompileResult = {
    model: args.model,
    device: args.device,
    ...compiled[0]!.report,
    ...(compiled.length > 1 ? { branches: compiled.map((c) => c.report) } : {}),
    ...(args.out ? { out: args.out } : {}),
  };
  if (!args.json) process.stdout.write(formatReport(result, args.report, plans.length > 1 ? "branch" : args.input ? "input" : undefined));
  return result;
}

function compilePlan(planned: BranchPlan, deviceName: string): { report: PlanReport; fused: Graph } {
  const assumed = planned.assumed;
  // Inputs that only chose a branch are gone from a plan that fixed it: the compiled graph refuses
  // them by name rather than taking a value it would ignore.
  const graph = Object.keys(assumed).length > 0 ? withoutUnreadInputs(planned.graph) : planned.graph;
  const droppedInputs = planned.graph.inputs.filter((v) => !graph.inputs.includes(v)).map((v) => v.name);
  const entry = getDeviceEntry(deviceName);
  const device = entry.device;
  // What createSession does on load: batch norms folded, elementwise chains fused, GEMM epilogues where the device has their kernels.
  const fused = loadTimePasses(graph, { supports: (op, dtype) => findKernel(entry, op, dtype) !== undefined, convLayout: entry.plugin.preferredConvLayout });
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
  const report: PlanReport = {
    before: { kernels: kernels(graph), plannedPeakBytes: before.bytes },
    after: {
      kernels: kernels(fused),
      fusedKernels: reports.length,
      epilogueKernels: reports.filter((k) => k.op !== "fused").length,
      plannedPeakBytes: after.bytes,
    },
    symbolicDims: [...before.symbols],
    assumed,
    droppedInputs,
    fused: reports,
  };
  return { report, fused };
}

function withoutUnreadInputs(graph: Graph): Graph {
  const read = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return { ...graph, inputs: graph.inputs.filter((v) => read.has(v.name)) };
}

/**
 * The model's graphs: one, or one per branch combination of If conditions on the data (without
 * --input); an ONNX model with --input is planned for those inputs, as `run` does: its shapes,
 * and the values computed from its data that the plan needs (an If's condition).
 */
async function graphsOf(args: CompileArgs): Promise<BranchPlan[]> {
  if (!args.input) {
    try {
      return [{ graph: await loadModel(args.model), assumed: {} }];
    } catch (err) {
      if (err instanceof Error && err.name === "RunTimeValueError") return branchPlans(args.model, err);
      if (err instanceof Error && err.message.includes("needs the static shape") && extname(args.model).toLowerCase() === ".onnx")
        throw new UnsupportedOpError(`${err.message}; the model has dynamic dims: pass --input inputs.json to compile it for those inputs' shapes`);
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
    return [{ graph: plan.graph, assumed }];
  } finally {
    session.dispose();
  }
}

function formatReport(r: CompileResult, withSources: boolean, fixedBy: "branch" | "input" | undefined): string {
  const lines = [`${r.model} on ${r.device}`];
  if (fixedBy === "branch")
    lines.push(`  its If conditions depend on the data: ${r.branches!.length} plans, one per branch (--input compiles the one an input takes)`);
  for (const plan of r.branches ?? [r]) lines.push(...formatPlan(plan, withSources, fixedBy));
  if (r.out) lines.push(`  wrote the fused graph to ${r.out}`);
  return `${lines.join("\n")}\n`;
}

function formatPlan(r: PlanReport, withSources: boolean, fixedBy: "branch" | "input" | undefined): string[] {
  const sized = r.symbolicDims.length ? ` (${r.symbolicDims.join(", ")} taken as 1)` : "";
  const assumed = Object.entries(r.assumed);
  const values = assumed.map(([name, v]) => `'${name}' = ${v.length === 1 ? v[0] : `[${v.join(", ")}]`}`).join(", ");
  const indent = fixedBy === "branch" ? "    " : "  ";
  const lines: string[] = [];
  if (fixedBy === "branch") lines.push(`  when ${values}:`);
  lines.push(
    `${indent}kernels: ${r.before.kernels} -> ${r.after.kernels} (${r.after.fusedKernels} fused, ${r.after.epilogueKernels} of them GEMM epilogues)`,
    `${indent}planned peak memory${sized}: ${formatBytes(r.before.plannedPeakBytes)} -> ${formatBytes(r.after.plannedPeakBytes)}`,
  );
  if (fixedBy === "input" && assumed.length > 0)
    lines.push(
      `${indent}planned for --input, with ${values} computed from its data: inputs that give other values take another branch and need their own plan`,
    );
  if (r.droppedInputs.length > 0) lines.push(`${indent}inputs the plan no longer takes: ${r.droppedInputs.map((n) => `'${n}'`).join(", ")}`);
  for (const k of r.fused) {
    lines.push(
      `${indent}${k.name}: ${k.ops.join(" -> ")} (${k.inputs} in, ${k.outputs} out)${k.source ? "" : " — no generated kernel on this device: runs the ops one by one"}`,
    );
    if (withSources && k.source) lines.push(...k.source.split("\n").map((l) => `${indent}    ${l}`));
  }
  return lines;
}
