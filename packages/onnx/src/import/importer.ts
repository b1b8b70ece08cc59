import { lowerKeepingElementTypes } from "./element-types.ts";
import { dtypeBytes, FormatError, PolychipError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { deadCodeElimination, type Graph, type ValueInfo } from "@polychip/engine/runtime";
import { decodeModel, toNumber } from "../proto/codec.ts";
import { DataType, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from "../proto/types.ts";
import { isStringProto, stringTensorFromProto, type StringTensor } from "../strings.ts";
import { dtypeForOnnx, type HostTensor } from "../tensor.ts";
import { formatDims, type Dim } from "../host/meta.ts";
import { NodeAttributes } from "./attributes.ts";
import { checkPlanBudget } from "./budget.ts";
import { containerKind, layoutTensors, type ValueLayout } from "../containers.ts";
import { bindContainerOutput, declareContainerInput } from "./container-io.ts";
import { ImportContext, type ImportOptions, type OnnxNode } from "./context.ts";
import { DOMAIN_IMPORTERS, OP_IMPORTERS } from "./ops/index.ts";
import { declareStagedStrings, lowerStringsOnHost, readsDeferredStrings } from "./string-host-steps.ts";
import { topologicalOrder } from "./topological-order.ts";

/** Opsets of the default domain whose semantics Polychip implements. */
export const MIN_OPSET = 1;
export const MAX_OPSET = 25;

const DEFAULT_DOMAINS = new Set(["", "ai.onnx"]);
/** Control flow is unrolled at import: a bound on the nodes that may add (nested loops multiply). */
const MAX_INLINED_NODES = 200_000;

export interface ImportedModel {
  readonly graph: Graph;
  /** The default-domain opset the model declares. */
  readonly opset: number;
  /** Graph inputs frozen into constants through ImportOptions.resolveInput. */
  readonly frozenInputs: readonly string[];
  /** The top-level ONNX nodes this import lowered (indices into the graph's node list). */
  readonly lowered: readonly number[];
  /** The value of `name` when the import knew it (folded or given); undefined for run-time values. */
  readonly constantValue: (name: string) => HostTensor | undefined;
  /** The sequence and optional outputs: each one's tensors are graph outputs under path names (see containers.ts). */
  readonly outputLayouts: Readonly<Record<string, ValueLayout>>;
  /** The STRING graph outputs, computed at import on the host (they are not outputs of `graph`). */
  readonly stringOutputs: Readonly<Record<string, StringTensor>>;
  /** The STRING graph outputs only a run knows: the host value each is (a STRING graph input, a host step's result). */
  readonly deferredStringOutputs: Readonly<Record<string, string>>;
}

/** A STRING graph input: its value is given (ImportOptions.strings), or only its shape, for a run to give the value (ImportOptions.stringShapes); it stays on the host. */
function declareStringInput(ctx: ImportContext, name: string): void {
  const value = ctx.stringInput(name);
  const shape = ctx.stringInputShape(name);
  if (!value && shape && ctx.runsHostSteps) return ctx.declareDeferredString(name, name, shape);
  if (!value)
    throw new UnsupportedOpError(
      `ONNX graph input '${name}' is a STRING tensor: Polychip computes strings on the host at import, so its value must be given (run the model with OnnxSession, which passes string feeds)`,
    );
  ctx.declareString(name, value);
}

/** Reads an ONNX model (ModelProto bytes) into Polychip's graph IR. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): Graph {
  return importOnnxModel(bytes, options).graph;
}

/** importOnnx with the details a conformance run reports. */
export function importOnnxModel(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  return importModelProto(decodeModel(bytes), options);
}

export function importModelProto(model: ModelProto, options: ImportOptions = {}): ImportedModel {
  const graph = model.graph;
  if (!graph) throw new FormatError("ONNX model has no graph (is this an ONNX file?)");
  const opset = defaultOpset(model);
  const ctx = new ImportContext(options);
  const nodes = graph.node ?? [];
  ctx.reserve([...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...(graph.input ?? []).map((v) => v.name ?? "")]);

  const initNames = new Set<string>();
  for (const [i, t] of (graph.initializer ?? []).entries()) {
    const name = t.name ?? "";
    if (!name) throw new FormatError(`ONNX initializer #${i} has no name`);
    if (isStringProto(t)) {
      ctx.declareString(name, stringTensorFromProto(t, `initializer '${name}'`));
      initNames.add(name);
      continue;
    }
    const { value, saturated } = ctx.decode(t, `initializer '${name}'`);
    ctx.declareConstant(name, value, saturated);
    ctx.declaredTypes.set(name, t.dataType ?? 0);
    initNames.add(name);
  }
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const elemType = v.type?.tensorType?.elemType;
    if (v.name && elemType) ctx.declaredTypes.set(v.name, elemType);
  }
  // Before IR 4, initializers were also listed as inputs: they are constants, not run-time inputs.
  const runtimeInputs = (graph.input ?? []).filter((v) => !initNames.has(v.name ?? ""));
  const bound = new Map<string, { size: number; by: string }>();
  // A sequence's elements may differ in shape: each binds its declared symbols on its own.
  const declareTensor = (name: string, type: ValueInfoProto["type"], symbols = bound) =>
    ctx.declareInput(name, valueMeta({ name, ...(type ? { type } : {}) }, "graph input", options.inputShapes?.[name], symbols));
  const inputTensors = runtimeInputs.map((v) => {
    const name = requireName(v, "graph input");
    if (v.type?.tensorType?.elemType === DataType.STRING) {
      declareStringInput(ctx, name);
      return [];
    }
    if (containerKind(v.type, `ONNX graph input '${name}'`))
      return declareContainerInput(ctx, name, v.type!, options.inputLayouts?.[name], (n, t) => declareTensor(n, t, new Map()));
    declareTensor(name, v.type);
    return [name];
  });

  // The uses and the node order depend on the model alone: a session's imports compute them once.
  const shared = options.shared;
  ctx.onnxUses = shared ? shared.derived(graph, "uses", () => countUses(graph)) : countUses(graph);
  ctx.inlineSubgraph = (body, bindings) => inlineSubgraph(ctx, body, bindings, model, opset);
  // A prefix import (ImportOptions.outputs) stops once the values it asks for are known.
  const wanted = ctx.prefixOutputs;
  const lowered: number[] = [];
  const order = shared ? shared.derived(nodes, "order", () => topologicalOrder(nodes, "ONNX graph")) : topologicalOrder(nodes, "ONNX graph");
  try {
    for (const [index, proto] of order) {
      if (prefixComplete(ctx, wanted)) break;
      if (options.done?.has(index)) {
        declareStagedOutputs(ctx, proto.output ?? [], options);
        continue;
      }
      lowered.push(index);
      const node = describeNode(proto, index, model, opset);
      ctx.current = node;
      lowerNode(ctx, node);
      ctx.pinKnownValues(node.outputs);
    }
  } catch (err) {
    if (!(err instanceof PrefixComplete)) throw err;
  }
  ctx.current = undefined;

  const outputLayouts: Record<string, ValueLayout> = {};
  const stringOutputs: Record<string, StringTensor> = {};
  const deferredStringOutputs: Record<string, string> = {};
  const outputNames = (wanted ?? (graph.output ?? []).map((v) => requireName(v, "graph output"))).flatMap((name) => {
    const deferred = ctx.deferredString(name);
    if (deferred) {
      deferredStringOutputs[name] = deferred.source;
      return [];
    }
    if (ctx.isString(name)) {
      stringOutputs[name] = ctx.stringValue(name);
      return [];
    }
    if (!ctx.container(name)) return [name];
    outputLayouts[name] = bindContainerOutput(ctx, name, name);
    return layoutTensors(outputLayouts[name]);
  });
  const outputs: ValueInfo[] = outputNames.map((name) => {
    if (!ctx.has(name)) throw new FormatError(`ONNX graph output '${name}' is not produced by any node`);
    if (ctx.isConstant(name)) {
      // A constant output still needs a node producing it under its own name.
      const hidden = ctx.fresh(name);
      ctx.declareConstant(hidden, ctx.constant(name)!);
      rename(ctx, name, hidden);
    }
    const m = ctx.meta(name);
    return { name, dtype: m.dtype, shape: [...m.shape] };
  });
  const inputs: ValueInfo[] = [...inputTensors.flat(), ...Object.keys(options.fed ?? {}).filter((name) => ctx.has(name) && !ctx.isString(name))]
    .filter((name) => !ctx.frozenInputs.has(name))
    .map((name) => ({ name, dtype: ctx.meta(name).dtype, shape: [...ctx.meta(name).shape] }));
  const metadata: Record<string, string> = { "onnx.opset": String(opset) };
  if (model.producerName) metadata["onnx.producer"] = `${model.producerName}${model.producerVersion ? ` ${model.producerVersion}` : ""}`;
  for (const p of model.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? "";
  // A fused pattern's leftovers, unused optional outputs and unread initializers go.
  const pruned = deadCodeElimination({ name: "", inputs, outputs, nodes: ctx.nodes, initializers: ctx.initializers });
  const initializerBytes = pruned.initializers.reduce((sum, t) => sum + t.data.length * dtypeBytes(t.dtype), 0);
  checkPlanBudget(
    pruned.nodes,
    (name) => ctx.metaOf(name),
    initializerBytes,
    outputs.map((o) => o.name),
    options.memoryBudget,
  );
  return {
    graph: { name: graph.name || "onnx", inputs, outputs, nodes: pruned.nodes, initializers: pruned.initializers, metadata },
    opset,
    frozenInputs: [...ctx.frozenInputs],
    lowered,
    constantValue: (name) => ctx.constant(name),
    outputLayouts,
    stringOutputs,
    deferredStringOutputs,
  };
}

/** The outputs of a node an earlier stage ran, as that stage left them: known values as constants, fed ones as inputs. */
function declareStagedOutputs(ctx: ImportContext, outputs: readonly string[], options: ImportOptions): void {
  for (const name of outputs) {
    const known = name ? options.knownValues?.[name] : undefined;
    const fed = name ? options.fed?.[name] : undefined;
    if (known) ctx.declareConstant(name, known);
    else if (fed && fed.dtype !== "string") ctx.declareInput(name, { dtype: fed.dtype, shape: [...fed.shape] }, true);
  }
  declareStagedStrings(ctx, outputs, options);
}

/** How many ONNX nodes (in any subgraph) and graph outputs read each value: lets a lowering fuse a pattern safely. */
function countUses(graph: GraphProto, uses = new Map<string, number>()): Map<string, number> {
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
    for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) countUses(g, uses);
  }
  for (const o of graph.output ?? []) if (o.name) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  return uses;
}

/**
 * Lowers a subgraph (a taken If branch, one unrolled Loop or Scan iteration) into the graph
 * being built: its formal inputs read `bindings`, names it produces get fresh names (a body may be
 * inlined many times), and any other name reads the enclosing scope. Returns the values of its
 * outputs.
 */
function inlineSubgraph(ctx: ImportContext, body: GraphProto, bindings: ReadonlyMap<string, string>, model: ModelProto, opset: number): string[] {
  const outer = ctx.current!;
  ctx.inlinedNodes += body.node?.length ?? 0;
  if (ctx.inlinedNodes > MAX_INLINED_NODES)
    throw new UnsupportedOpError(`${ctx.where()}: unrolling control flow would emit more than ${MAX_INLINED_NODES} nodes`);
  const scope = new Map([...ctx.scope, ...bindings]);
  for (const t of body.initializer ?? []) {
    const name = ctx.fresh(t.name || "initializer");
    const what = `initializer '${t.name}' of ${ctx.where()}`;
    // A subgraph's saturated int64 initializers are not tracked (as before sharing): only the value is used.
    if (isStringProto(t)) ctx.declareString(name, stringTensorFromProto(t, what));
    else ctx.declareConstant(name, ctx.decode(t, what).value);
    scope.set(t.name ?? "", name);
  }
  for (const n of body.node ?? []) for (const o of n.output ?? []) if (o) scope.set(o, ctx.fresh(o));
  const saved = ctx.scope;
  ctx.scope = scope;
  // Only Loop and Scan bind formal inputs (an If branch has none).
  const loopBody = bindings.size > 0 ? 1 : 0;
  ctx.loopBodies += loopBody;
  try {
    const nodes = body.node ?? [];
    const order = () => topologicalOrder(nodes, `${ctx.where()}: subgraph`);
    for (const [index, proto] of ctx.shared ? ctx.shared.derived(nodes, "order", order) : order()) {
      const renamed: NodeProto = {
        ...proto,
        name: `${outer.name}/${proto.name || `${proto.opType}_${index}`}`,
        input: (proto.input ?? []).map((n) => (n ? (scope.get(n) ?? n) : n)),
        output: (proto.output ?? []).map((o) => (o ? scope.get(o)! : o)),
      };
      const node = describeNode(renamed, index, model, opset);
      ctx.current = node;
      lowerNode(ctx, node);
      // A value OnnxSession computed for this run may sit inside a branch or body (a nested If's condition).
      ctx.pinKnownValues(node.outputs);
      if (prefixComplete(ctx, ctx.prefixOutputs)) throw new PrefixComplete();
    }
    return (body.output ?? []).map((o) => {
      const name = scope.get(o.name ?? "") ?? o.name ?? "";
      if (!ctx.has(name)) throw new FormatError(`${ctx.where()}: subgraph output '${o.name}' is not produced`);
      return name;
    });
  } finally {
    ctx.scope = saved;
    ctx.loopBodies -= loopBody;
    ctx.current = outer;
  }
}

/** A prefix import (ImportOptions.outputs) has all it asked for, possibly midway through a subgraph. */
function prefixComplete(ctx: ImportContext, wanted: readonly string[] | undefined): boolean {
  return !!wanted && wanted.every((w) => ctx.has(w));
}

/** Unwinds a prefix import out of the subgraphs it is inside once its outputs are known. */
class PrefixComplete extends Error {}

/** Emits identity(hidden constant) → name for a graph output whose value was folded. */
function rename(ctx: ImportContext, name: string, hidden: string): void {
  ctx.materialize(hidden);
  ctx.nodes.push({ op: "identity", inputs: [hidden], outputs: [name], attrs: {} });
}

function defaultOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => DEFAULT_DOMAINS.has(o.domain ?? ""));
  // IR version 1-2 models carry no opset_import: they use opset 1.
  const version = entry ? toNumber(entry.version) : 1;
  if (!Number.isInteger(version) || version < MIN_OPSET) throw new FormatError(`ONNX opset version ${version} is not a valid opset (${MIN_OPSET} or more)`);
  return version;
}

function describeNode(proto: NodeProto, index: number, model: ModelProto, opset: number): OnnxNode {
  const opType = proto.opType ?? "";
  const domain = proto.domain ?? "";
  const name = proto.name ?? "";
  const where = `ONNX node ${name ? `'${name}'` : `#${index}`} (${opType || "<no op_type>"})`;
  if (!opType) throw new FormatError(`${where} has no op_type`);
  const domainOpset = DEFAULT_DOMAINS.has(domain) ? opset : toNumber((model.opsetImport ?? []).find((o) => o.domain === domain)?.version);
  return {
    opType,
    domain,
    name: name || `${opType}_${index}`,
    opset: domainOpset,
    inputs: proto.input ?? [],
    outputs: proto.output ?? [],
    attrs: new NodeAttributes(where, proto.attribute ?? []),
  };
}

function lowerNode(ctx: ImportContext, node: OnnxNode): void {
  const defaultDomain = DEFAULT_DOMAINS.has(node.domain);
  const importer = defaultDomain ? OP_IMPORTERS[node.opType] : DOMAIN_IMPORTERS[node.domain]?.[node.opType];
  try {
    if (!defaultDomain && !DOMAIN_IMPORTERS[node.domain]) {
      throw new UnsupportedOpError(
        `${ctx.where()}: operators of domain '${node.domain}' are not supported (the default ONNX domain and ${Object.keys(DOMAIN_IMPORTERS).join(", ")} are)`,
      );
    }
    if (!importer) throw new UnsupportedOpError(`${ctx.where()}: ONNX operator '${node.opType}' is not supported by Polychip's importer`);
    for (const i of node.inputs) if (i && !ctx.has(i)) ctx.meta(i);
    if (readsDeferredStrings(ctx, node)) lowerStringsOnHost(ctx, node, importer);
    else lowerKeepingElementTypes(ctx, node, (n) => importer(ctx, n));
  } catch (err) {
    if (err instanceof PrefixComplete) throw err;
    // A lowering that meets something the model's declared types should have ruled out reports a malformed node.
    const typed = err instanceof PolychipError ? withWhere(ctx, err) : new FormatError(`${ctx.where()}: malformed node: ${(err as Error)?.message ?? err}`);
    throw tagNode(typed, node);
  }
}

/** The error with its message prefixed by the node it arose at (unless it already names one). */
function withWhere(ctx: ImportContext, err: PolychipError): PolychipError {
  if (err.message.startsWith("ONNX ")) return err;
  const Cls = err.constructor as new (m: string) => PolychipError;
  return new Cls(`${ctx.where()}: ${err.message}`);
}

/** The ONNX node an import error arose at (set on errors thrown by importOnnx). */
export interface FailingNode {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly opset: number;
}

function tagNode(err: PolychipError, node: OnnxNode): PolychipError {
  if (!(err as { onnxNode?: FailingNode }).onnxNode) {
    Object.defineProperty(err, "onnxNode", {
      value: { opType: node.opType, domain: node.domain, name: node.name, opset: node.opset } satisfies FailingNode,
      enumerable: false,
    });
  }
  return err;
}

export function failingNode(err: unknown): FailingNode | undefined {
  return (err as { onnxNode?: FailingNode } | undefined)?.onnxNode;
}

/** `err` tagged with the ONNX node `from` was tagged with, unless it names one already (an error of a node's host step at run time). */
export function withFailingNodeOf(err: unknown, from: unknown): unknown {
  const node = failingNode(from);
  if (node && err instanceof Error && !failingNode(err)) Object.defineProperty(err, "onnxNode", { value: node, enumerable: false });
  return err;
}

function requireName(v: ValueInfoProto, what: string): string {
  if (!v.name) throw new FormatError(`ONNX ${what} has no name`);
  return v.name;
}

function valueMeta(v: ValueInfoProto, what: string, override: readonly number[] | undefined, bound: Map<string, { size: number; by: string }>) {
  const tensor = v.type?.tensorType;
  if (!tensor)
    throw new UnsupportedOpError(`ONNX ${what} '${v.name}' is not a tensor (maps and sparse tensors are not supported; sequences hold tensors only)`);
  const dtype = dtypeForOnnx(tensor.elemType ?? 0, `ONNX ${what} '${v.name}'`);
  if (!tensor.shape) {
    if (override) return { dtype, shape: [...override] };
    throw new UnsupportedOpError(`ONNX ${what} '${v.name}' declares no shape (not even its rank); pass ImportOptions.inputShapes`);
  }
  const shape: Dim[] = (tensor.shape?.dim ?? []).map((d, i) => {
    if (d.value === "dimValue") {
      const n = toNumber(d.dimValue);
      if (!Number.isInteger(n)) throw new FormatError(`ONNX ${what} '${v.name}': invalid dimension ${n}`);
      // Some converters (Kaldi's, older Caffe2 and TensorFlow ones) write -1 for "any size", which
      // onnxruntime reads as a dynamic dim: so does the importer (bound from the inputs like a dim_param).
      if (n < 0) return `${v.name}:${i}`;
      return n;
    }
    return d.value === "dimParam" && d.dimParam ? d.dimParam : `${v.name}:${i}`;
  });
  return { dtype, shape: override ? bindShape(`ONNX ${what} '${v.name}'`, shape, override, bound) : shape };
}

/** A declared shape with its symbolic dims bound to the sizes given (which must agree with the fixed dims). */
function bindShape(what: string, declared: readonly Dim[], given: readonly number[], bound: Map<string, { size: number; by: string }>): number[] {
  const bad = given.length !== declared.length || given.some((d, i) => !Number.isInteger(d) || d < 0 || (typeof declared[i] === "number" && declared[i] !== d));
  if (bad) throw new ShapeError(`${what} is declared ${formatDims(declared)}, which shape ${formatDims(given)} does not fit`);
  declared.forEach((d, i) => {
    if (typeof d !== "string") return;
    const prior = bound.get(d);
    if (prior && prior.size !== given[i])
      throw new ShapeError(`${what}: '${d}' is ${given[i]} in ${formatDims(given)}, but ${prior.by} set it to ${prior.size}`);
    bound.set(d, { size: given[i]!, by: what });
  });
  return [...given];
}

export type { GraphProto };
