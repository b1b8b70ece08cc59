/**
 * The trained model's graph and files, through the engine's graph capture, runtime and the ONNX
 * package when this build has them (each loaded on demand; a missing one gives its reason).
 */
import * as engine from "@polychip/engine";
import type { Tensor } from "@polychip/engine";
import type { Availability, ExportedFile, GraphView, ModelSummary } from "./protocol.ts";
import { loadOptionalPackage, type OptionalId } from "./optional.ts";
import type { RegisteredModel } from "../user-api/run-context.ts";
import { fusedGroups } from "../lib/fused-groups.ts";
import { weightStats } from "../lib/weight-stats.ts";

type AnyFn = (...args: any[]) => any;

/** The named function of an optional package, or why it cannot be had. */
export async function optionalFunction(id: OptionalId, name: string): Promise<Availability<AnyFn>> {
  try {
    const mod = await loadOptionalPackage(id);
    const fn = mod[name];
    return typeof fn === "function" ? { ok: true, value: fn as AnyFn } : { ok: false, reason: `${id}: this build's package has no ${name}()` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** The graph IR as the engine defines it (engine/src/graph/ir.ts), read structurally. */
export interface IrGraph {
  name: string;
  inputs: readonly { name: string; shape: readonly (number | string)[]; dtype: string }[];
  outputs: readonly { name: string; shape: readonly (number | string)[]; dtype: string }[];
  nodes: readonly {
    op: string;
    inputs: readonly string[];
    outputs: readonly string[];
    attrs?: Readonly<Record<string, unknown>>;
    name?: string;
    device?: string;
    fused?: readonly string[];
  }[];
  initializers: readonly { name: string; shape: readonly number[]; dtype: string; data?: ArrayLike<number | bigint> }[];
}

/** A traced graph, and why its batch size is fixed when it could not be left open. */
export interface TracedModel {
  graph: IrGraph;
  /** Set when the model only traces with the example's batch size (said in the graph view and on export). */
  staticBatchNote?: string;
}

/**
 * Traces with a symbolic batch dim when the model allows it (the exported file then takes any
 * batch size); a model whose forward reshapes across the batch dim (a transformer flattening
 * [batch, tokens, dim] to [tokens, dim]) is traced again with the example's fixed batch.
 */
export async function traceModel(model: RegisteredModel | undefined): Promise<Availability<TracedModel>> {
  const trace = await optionalFunction("graph", "trace");
  if (!trace.ok) return trace;
  if (!model) return { ok: false, reason: "the run did not hand a model to the studio: call setModel(model, exampleInput) in your code" };
  const mod = model.module as { training?: boolean; eval?: () => void; train?: (mode?: boolean) => void };
  const wasTraining = mod?.training;
  const once = async (dynamicBatch: boolean): Promise<IrGraph> => {
    const graph = (await trace.value(model.module, model.exampleInputs, { dynamicBatch, name: model.name })) as IrGraph;
    if (!Array.isArray(graph?.nodes)) throw new Error("trace() returned something that is not a graph");
    return graph;
  };
  try {
    mod?.eval?.();
    try {
      return { ok: true, value: { graph: await once(true) } };
    } catch (err) {
      const message = (err as Error).message;
      if (!message.includes("dynamicBatch")) throw err;
      const batch = (model.exampleInputs[0] as { shape?: readonly number[] } | undefined)?.shape?.[0];
      const staticBatchNote = `traced with a fixed batch of ${batch ?? "the example's size"}: the model does not work for every batch size (${message})`;
      return { ok: true, value: { graph: await once(false), staticBatchNote } };
    }
  } catch (err) {
    return { ok: false, reason: `trace failed: ${(err as Error).message}` };
  } finally {
    if (wasTraining) mod?.train?.(true);
  }
}

/** Shapes of every value: inputs, outputs, initialisers, and node outputs when inferShapes exists. */
async function valueShapes(graph: IrGraph): Promise<GraphView["values"]> {
  const values: GraphView["values"] = {};
  for (const v of [...graph.inputs, ...graph.outputs]) values[v.name] = { shape: [...v.shape], dtype: v.dtype };
  for (const i of graph.initializers) values[i.name] = { shape: [...i.shape], dtype: i.dtype };
  const infer = await optionalFunction("graph", "inferShapes");
  if (infer.ok) {
    try {
      const inferred = infer.value(graph) as
        | Map<string, { shape: (number | string)[]; dtype: string }>
        | Record<string, { shape: (number | string)[]; dtype: string }>;
      const entries = inferred instanceof Map ? [...inferred.entries()] : Object.entries(inferred ?? {});
      for (const [name, v] of entries) if (v?.shape) values[name] = { shape: [...v.shape], dtype: v.dtype };
    } catch {
      /* shapes beyond the inputs are a nicety of the view */
    }
  }
  return values;
}

function nodeViews(graph: IrGraph): GraphView["nodes"] {
  return graph.nodes.map((n, id) => ({
    id,
    op: n.op,
    name: n.name,
    inputs: [...n.inputs],
    outputs: [...n.outputs],
    attrs: Object.fromEntries(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    device: n.device,
    fused: n.fused ? [...n.fused] : undefined,
  }));
}

/**
 * The graph as a session on the default device runs it (the engine's load-time passes: batch norms
 * folded into their convs, elementwise chains fused, GEMM epilogues where the device has their
 * kernels), each node that replaced several with its member ops and the nodes it replaced.
 */
async function fusedView(graph: IrGraph): Promise<GraphView["fused"]> {
  const passes = await optionalFunction("graph", "loadTimePasses");
  if (!passes.ok) return passes;
  try {
    const device = engine.defaultDevice();
    const fused = passes.value(graph, { supports: (op: string, dtype: "float32" | "float16") => engine.hasKernel(op, dtype, device) }) as IrGraph;
    const nodes = nodeViews(fused);
    const groups = fusedGroups(graph.nodes, fused.nodes);
    for (const g of groups) Object.assign(nodes[g.node]!, { fused: g.ops, members: g.members });
    return { ok: true, value: { nodes, groups: groups.length, device } };
  } catch (err) {
    return { ok: false, reason: `fusion failed: ${(err as Error).message}` };
  }
}

export async function toGraphView({ graph, staticBatchNote }: TracedModel): Promise<GraphView> {
  return {
    name: graph.name ?? "model",
    note: staticBatchNote,
    inputs: graph.inputs.map((v) => ({ name: v.name, shape: [...v.shape], dtype: v.dtype })),
    outputs: graph.outputs.map((v) => ({ name: v.name, shape: [...v.shape], dtype: v.dtype })),
    nodes: nodeViews(graph),
    values: await valueShapes(graph),
    initializers: graph.initializers.map((i) => ({ name: i.name, shape: [...i.shape], dtype: i.dtype, stats: i.data ? weightStats(i.data) : undefined })),
    fused: await fusedView(graph),
  };
}

export function summarizeModel(model: RegisteredModel): ModelSummary {
  const mod = model.module as { namedParameters?: () => [string, Tensor][] };
  const named = typeof mod?.namedParameters === "function" ? mod.namedParameters() : [];
  return {
    name: model.name,
    parameters: named.reduce((s, [, t]) => s + t.size, 0),
    tensors: named.map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype })),
  };
}

export async function exportModel(model: RegisteredModel | undefined, format: "checkpoint" | "pcm" | "onnx"): Promise<Availability<ExportedFile>> {
  if (!model) return { ok: false, reason: "no model to export: call setModel(model, exampleInput) in your code and run it" };
  const base = model.name.toLowerCase().replace(/[^a-z0-9]+/g, "-") || "model";
  if (format === "checkpoint") {
    const mod = model.module as { stateDict?: () => Map<string, Tensor> };
    if (typeof mod?.stateDict !== "function") return { ok: false, reason: "the registered model is not an nn.Module (no stateDict())" };
    const bytes = await engine.saveCheckpoint(mod.stateDict(), { model: model.name, producer: "polychip-studio" });
    return { ok: true, value: { fileName: `${base}.pcck`, bytes, mime: "application/octet-stream" } };
  }
  const writer = format === "pcm" ? await optionalFunction("runtime", "serializeModel") : await optionalFunction("onnx", "exportOnnx");
  if (!writer.ok) return writer;
  const traced = await traceModel(model);
  if (!traced.ok) return traced;
  try {
    const bytes = writer.value(traced.value.graph) as Uint8Array;
    return { ok: true, value: { fileName: `${base}.${format}`, bytes, mime: "application/octet-stream", note: traced.value.staticBatchNote } };
  } catch (err) {
    return { ok: false, reason: `${format} export failed: ${(err as Error).message}` };
  }
}
