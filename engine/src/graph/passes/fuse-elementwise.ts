import { FUSIBLE_OPS, hasOp, type AttrValue, type DType } from "@polychip/hal";
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

interface Group {
  readonly members: number[];
  readonly shapeKey: string;
  /** The group's last node, which is also its id. */
  readonly maxIndex: number;
}

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
  const maxOperands = options.maxOperands ?? Infinity;
  const types = inferShapes(graph);
  const nodes = graph.nodes;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const scalars = scalarConstants(graph);
  const readers = readersOutside(graph);
  const fusible = fusibleNodes(graph, types);
  if (options.exclude) for (const i of [...fusible.keys()]) if (options.exclude(nodes[i]!, i)) fusible.delete(i);

  const groupOf = nodes.map((_, i) => i);
  const groups = new Map<number, Group>();
  const producersOf = (i: number) => nodes[i]!.inputs.map((v) => producer.get(v)).filter((p): p is number => p !== undefined);

  /** True when merging `ids` leaves a path from the merged set back into it through outside nodes. */
  const makesCycle = (ids: ReadonlySet<number>, members: readonly number[]): boolean => {
    const minIndex = Math.min(...members);
    const stack = members.flatMap(producersOf).filter((p) => !ids.has(groupOf[p]!));
    const seen = new Set<number>();
    while (stack.length > 0) {
      const g = groupOf[stack.pop()!]!;
      if (ids.has(g)) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      const group = groups.get(g);
      // Everything on a path from the set to here comes after the set's first node.
      if ((group ? group.maxIndex : g) < minIndex) continue;
      for (const m of group ? group.members : [g]) for (const p of producersOf(m)) if (groupOf[p] !== g) stack.push(p);
    }
    return false;
  };

  const operandCount = (members: readonly number[]): number => {
    const inside = new Set(members.flatMap((m) => nodes[m]!.outputs));
    const inputs = new Set(members.flatMap((m) => nodes[m]!.inputs).filter((v) => !inside.has(v) && !scalars.has(v)));
    const outputs = members.filter((m) => (readers.get(nodes[m]!.outputs[0]!) ?? []).some((r) => r < 0 || !members.includes(r)));
    return inputs.size + outputs.length;
  };

  nodes.forEach((_, i) => {
    const key = fusible.get(i);
    if (key === undefined) return;
    let members = [i];
    const merged = new Set<number>([i]);
    for (const p of producersOf(i)) {
      const g = groupOf[p]!;
      const group = groups.get(g);
      if (merged.has(g) || fusible.get(p) !== key || (group && group.shapeKey !== key)) continue;
      const candidate = [...members, ...(group ? group.members : [p])];
      const ids = new Set([...merged, g]);
      if (operandCount(candidate) > maxOperands || makesCycle(ids, candidate)) continue;
      members = candidate;
      merged.add(g);
    }
    const group: Group = { members: members.sort((a, b) => a - b), shapeKey: key, maxIndex: i };
    for (const g of merged) groups.delete(g);
    for (const m of members) groupOf[m] = i;
    groups.set(i, group);
  });

  const fusedNodes = new Map<number, GraphNode>();
  for (const [id, group] of groups) if (group.members.length > 1) fusedNodes.set(id, fusedNode(graph, group.members, scalars, readers));
  if (fusedNodes.size === 0) return graph;
  const ordered = topologicalUnits(graph, groupOf, producer, fusedNodes);
  return deadCodeElimination({ ...graph, nodes: ordered });
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
  const inside = new Set(nodes.map((n) => n.outputs[0]!));
  const inputs: string[] = [];
  for (const n of nodes) for (const v of n.inputs) if (!inside.has(v) && !scalars.has(v) && !inputs.includes(v)) inputs.push(v);
  const index = new Map<string, number>(inputs.map((v, k) => [v, k]));
  const steps: { op: string; args: number[]; to?: AttrValue; value?: number }[] = [];
  const define = (name: string, step: (typeof steps)[number]) => {
    index.set(name, inputs.length + steps.length);
    steps.push(step);
  };
  for (const n of nodes)
    for (const v of n.inputs)
      if (scalars.has(v) && !index.has(v)) define(v, { op: "const", args: [], to: scalars.get(v)!.dtype, value: scalars.get(v)!.value });
  for (const n of nodes) define(n.outputs[0]!, { op: n.op, args: n.inputs.map((v) => index.get(v)!), ...(n.op === "cast" ? { to: n.attrs.to } : {}) });
  const outputs = members
    .filter((m) => (readers.get(graph.nodes[m]!.outputs[0]!) ?? []).some((r) => r < 0 || !members.includes(r)))
    .map((m) => graph.nodes[m]!.outputs[0]!);
  return {
    op: "fused",
    inputs,
    outputs,
    attrs: { program: JSON.stringify(steps), outputs: outputs.map((o) => index.get(o)!) },
    name: `fused(${nodes.map((n) => n.op).join(",")})`,
  };
}

/**
 * The new node list: every node outside a fused group, and each fused node, in an order where
 * each runs after what it reads. Units are taken in the order of their last original node, each
 * after the units it depends on (depth first), so an unfused graph keeps its order.
 */
function topologicalUnits(
  graph: Graph,
  groupOf: readonly number[],
  producer: ReadonlyMap<string, number>,
  fusedNodes: ReadonlyMap<number, GraphNode>,
): GraphNode[] {
  const unitOf = (i: number) => (fusedNodes.has(groupOf[i]!) ? groupOf[i]! : i);
  const membersOf = new Map<number, number[]>();
  graph.nodes.forEach((_, i) => membersOf.set(unitOf(i), [...(membersOf.get(unitOf(i)) ?? []), i]));
  const done = new Set<number>();
  const open = new Set<number>();
  const out: GraphNode[] = [];
  for (const unit of [...membersOf.keys()].sort((a, b) => a - b)) {
    const stack: [number, boolean][] = [[unit, false]];
    while (stack.length > 0) {
      const [u, expanded] = stack.pop()!;
      if (done.has(u)) continue;
      if (expanded) {
        done.add(u);
        out.push(fusedNodes.get(u) ?? graph.nodes[u]!);
        continue;
      }
      if (open.has(u)) throw new Error(`fuseElementwise: the fused graph would have a cycle through node ${u} (a bug in the pass)`);
      open.add(u);
      stack.push([u, true]);
      for (const m of membersOf.get(u)!) {
        for (const v of graph.nodes[m]!.inputs) {
          const p = producer.get(v);
          if (p !== undefined && unitOf(p) !== u && !done.has(unitOf(p))) stack.push([unitOf(p), false]);
        }
      }
    }
  }
  return out;
}
