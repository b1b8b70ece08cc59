import type { EpilogueSupport } from "../fusion/epilogue.ts";
import { groupNodes, type GroupingNode } from "../fusion/group.ts";
import { orderUnits } from "../fusion/order.ts";
import { inferShapes, noteShapes } from "../infer-shapes.ts";
import type { Graph, GraphNode } from "../ir.ts";
import { deadCodeElimination } from "./dead-code.ts";
import { epilogueNodes, fusedNode } from "./fused-nodes.ts";
import { epilogueHeads, fusibleNodes, readersOutside, scalarConstants } from "./fusion-members.ts";

export interface FuseElementwiseOptions {
  /**
   * The most inputs + outputs one fused node may have (a WebGPU kernel binds each as a storage
   * buffer, and devices limit those); merges that would exceed it are not made. Default: no limit.
   */
  readonly maxOperands?: number;
  /** Nodes to leave as they are, e.g. a conv's epilogue that a device's subgraph claim fuses itself. */
  readonly exclude?: (node: GraphNode, index: number) => boolean;
  /**
   * Whether the target device runs an epilogue op (conv2dEpilogue, matmulEpilogue) natively at a
   * dtype: where it does, a GEMM whose product one node reads (or only elementwise nodes of its
   * shape: a hard-swish) heads their group, and the group becomes one epilogue node. Default: no epilogues.
   */
  readonly epilogues?: EpilogueSupport;
}

/**
 * Turns sets of connected elementwise HAL nodes (unary, binary, compare, logical, where, cast)
 * that share one output shape into one `fused` node each, so a device with a fused kernel runs a
 * set in one launch. The sets are the shared grouper's (../fusion/group.ts, as compile's): they grow
 * in node order, each node joining the sets of the nodes it reads when that makes no cycle (no path
 * may leave a set and come back) and keeps within `maxOperands`; the graph is then reordered.
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
  const heads = epilogueHeads(graph, types, options.epilogues, fusible);
  for (const map of [fusible, heads]) for (const i of [...map.keys()]) if (options.exclude?.(graph.nodes[i]!, i)) map.delete(i);
  const id = valueIds(graph);
  const nodes: GroupingNode[] = graph.nodes.map((n, i) => ({
    key: fusible.get(i) ?? (heads.has(i) ? JSON.stringify(types.get(n.outputs[0]!)!.shape) : undefined),
    epilogue: heads.get(i),
    inputs: n.inputs.filter((v) => v !== "").map((v) => ({ value: id(v), plain: true })),
    outputs: n.outputs.map(id),
  }));
  const kept = new Set(graph.outputs.map((o) => id(o.name)));
  const inlined = new Set([...scalars.keys()].map(id));
  const groups = groupNodes(nodes, { placement: "reorderable", maxOperands: options.maxOperands, kept, inlined });
  if (groups.length === 0) return graph;
  const readers = readersOutside(graph);
  const ordered = orderUnits(nodes, groups, "reorderable").flatMap((u) =>
    typeof u === "number" ? [graph.nodes[u]!] : u.epilogue ? epilogueNodes(graph, u, scalars, readers) : [fusedNode(graph, u.members, scalars, readers)],
  );
  const fused = deadCodeElimination({ ...graph, nodes: ordered });
  // Every value keeps its name and shape: the session's shape planning need not infer them again.
  noteShapes(fused, types);
  return fused;
}

/** A number for every value name, in order of first sight. */
function valueIds(graph: Graph): (name: string) => number {
  const ids = new Map<string, number>();
  return (name) => {
    if (!ids.has(name)) ids.set(name, ids.size);
    return ids.get(name)!;
  };
}
