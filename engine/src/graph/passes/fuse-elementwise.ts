import { FUSIBLE_OPS, hasOp, type DType } from "@polychip/hal";
import { groupNodes, type GroupingNode } from "../fusion/group.ts";
import { orderUnits } from "../fusion/order.ts";
import { fusedProgram } from "../fusion/program.ts";
import { inferShapes } from "../infer-shapes.ts";
import { isStructuralOp, type Graph, type GraphNode, type ValueInfo } from "../ir.ts";
import { deadCodeElimination } from "./dead-code.ts";

export interface FuseElementwiseOptions {
  /**
   * The most inputs + outputs one fused node may have (a WebGPU kernel binds each as a storage
   * buffer, and devices limit those); merges that would exceed it are not made. Default: no limit.
   */
  readonly maxOperands?: number;
  /** Nodes to leave as they are, e.g. a conv's epilogue that a device's subgraph claim fuses itself. */
  readonly exclude?: (node: GraphNode, index: number) => boolean;
}

/** Structural ops that read only their input's shape, never its values. */
const SHAPE_READERS = new Set(["shape", "size"]);

/**
 * Turns sets of connected elementwise HAL nodes (unary, binary, compare, logical, where, cast)
 * that share one output shape into one `fused` node each, so a device with a fused kernel runs a
 * set in one launch. Sets grow in node order: each node joins the sets of the nodes it reads when
 * that makes no cycle (no path may leave a set and come back) and keeps within `maxOperands`.
 * Shapes are compared as inferred, symbols ("batch") included, so a graph with a symbolic batch
 * fuses too. A value read outside its set becomes an output of the fused node under its own name
 * (graph outputs keep theirs); rank-0 constants (initializers, `constant` and `fill` nodes) become
 * `const` steps. Single nodes stay as they are, and so do nodes that compute shapes (reshape
 * targets). Constants inlined this way and nodes left without readers are removed (dead code).
 */
export function fuseElementwise(graph: Graph, options: FuseElementwiseOptions = {}): Graph {
  const types = inferShapes(graph);
  const scalars = scalarConstants(graph);
  const fusible = fusibleNodes(graph, types);
  if (options.exclude) for (const i of [...fusible.keys()]) if (options.exclude(graph.nodes[i]!, i)) fusible.delete(i);
  const id = valueIds(graph);
  const nodes: GroupingNode[] = graph.nodes.map((n, i) => ({
    key: fusible.get(i),
    inputs: n.inputs.filter((v) => v !== "").map((v) => ({ value: id(v), plain: true })),
    outputs: n.outputs.map(id),
  }));
  const kept = new Set(graph.outputs.map((o) => id(o.name)));
  const inlined = new Set([...scalars.keys()].map(id));
  const groups = groupNodes(nodes, { placement: "reorderable", maxOperands: options.maxOperands, kept, inlined });
  if (groups.length === 0) return graph;
  const readers = readersOutside(graph);
  const ordered = orderUnits(nodes, groups, "reorderable").map((u) =>
    typeof u === "number" ? graph.nodes[u]! : fusedNode(graph, u.members, scalars, readers),
  );
  return deadCodeElimination({ ...graph, nodes: ordered });
}

/** A number for every value name, in order of first sight. */
function valueIds(graph: Graph): (name: string) => number {
  const ids = new Map<string, number>();
  return (name) => {
    if (!ids.has(name)) ids.set(name, ids.size);
    return ids.get(name)!;
  };
}

/** Whether a `const` step holds `value` exactly as a tensor of `dtype` would (the HAL's const rule). */
function constFits(value: number | undefined, dtype: DType): value is number {
  if (value === undefined || !Number.isFinite(value)) return false;
  if (dtype === "float32" || dtype === "float16") return true;
  const [lo, hi] = dtype === "bool" ? [0, 1] : dtype === "uint8" ? [0, 255] : dtype === "int8" ? [-128, 127] : [-2147483648, 2147483647];
  return Number.isInteger(value) && value >= lo && value <= hi;
}

/** Rank-0 initializers, `constant` and `fill` nodes with a value a `const` step holds exactly: inlined into programs. */
function scalarConstants(graph: Graph): Map<string, { value: number; dtype: DType }> {
  const out = new Map<string, { value: number; dtype: DType }>();
  const note = (name: string, value: number | undefined, dtype: DType) => constFits(value, dtype) && out.set(name, { value, dtype });
  for (const init of graph.initializers) if (init.shape.length === 0) note(init.name, init.data[0], init.dtype);
  for (const node of graph.nodes) {
    const { value, shape, dtype } = node.attrs;
    if (!Array.isArray(shape) || shape.length !== 0) continue;
    const type = (dtype as DType | undefined) ?? "float32";
    if (node.op === "constant" && Array.isArray(value) && value.length === 1) note(node.outputs[0]!, value[0], type);
    if (node.op === "fill" && typeof value === "number") note(node.outputs[0]!, value, type);
  }
  return out;
}

/** For every value, the nodes that read it (-1: it is a graph output). */
function readersOutside(graph: Graph): Map<string, number[]> {
  const readers = new Map<string, number[]>();
  const add = (v: string, r: number) => readers.set(v, [...(readers.get(v) ?? []), r]);
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => v !== "" && add(v, i)));
  for (const o of graph.outputs) add(o.name, -1);
  return readers;
}

/** Node index → shape key, for the nodes a fused program may hold. */
function fusibleNodes(graph: Graph, types: ReadonlyMap<string, ValueInfo>): Map<number, string> {
  // Values that shape computations read on the host (reshape targets, slice bounds) must stay plain nodes.
  const shapeValues = new Set<string>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (isStructuralOp(n.op)) n.inputs.slice(1).forEach((v) => v !== "" && shapeValues.add(v));
    if (n.outputs.some((o) => shapeValues.has(o)) && !SHAPE_READERS.has(n.op)) n.inputs.forEach((v) => v !== "" && shapeValues.add(v));
  }
  const out = new Map<number, string>();
  graph.nodes.forEach((n, i) => {
    if (isStructuralOp(n.op) || !hasOp(n.op) || !FUSIBLE_OPS.has(n.op) || n.outputs.length !== 1) return;
    const info = types.get(n.outputs[0]!);
    if (!info || shapeValues.has(info.name) || info.shape.some((d) => d === "?") || n.inputs.some((v) => v === "" || !types.has(v))) return;
    out.set(i, JSON.stringify(info.shape));
  });
  return out;
}

/** The `fused` node for a group: external inputs in order of first use, scalars as const steps, outputs = values read outside. */
function fusedNode(
  graph: Graph,
  members: readonly number[],
  scalars: ReadonlyMap<string, { value: number; dtype: DType }>,
  readers: ReadonlyMap<string, number[]>,
): GraphNode {
  const nodes = members.map((m) => graph.nodes[m]!);
  const memberOf = new Map(nodes.map((n, k) => [n.outputs[0]!, k]));
  const program = fusedProgram({
    members: nodes.map((n) => ({ op: n.op, reads: n.inputs, to: n.attrs.to })),
    memberOf: (v) => memberOf.get(v),
    key: (v) => v,
    constant: (v) => scalars.get(v),
    needed: (k) => (readers.get(nodes[k]!.outputs[0]!) ?? []).some((r) => r < 0 || !members.includes(r)),
  });
  return {
    op: "fused",
    inputs: program.inputs,
    outputs: program.results.map((k) => nodes[k]!.outputs[0]!),
    attrs: program.attrs,
    name: `fused(${nodes.map((n) => n.op).join(",")})`,
  };
}
