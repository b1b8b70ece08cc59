import type { Graph } from "../ir.ts";

/**
 * Removes nodes none of whose outputs the graph's outputs depend on, and initializers nothing
 * reads. Inputs stay: they are the model's interface even when unused.
 */
export function deadCodeElimination(graph: Graph): Graph {
  const live = new Set(graph.outputs.map((o) => o.name));
  const kept: boolean[] = new Array(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((o) => live.has(o))) continue;
    kept[i] = true;
    for (const input of node.inputs) if (input !== "") live.add(input);
  }
  return {
    ...graph,
    nodes: graph.nodes.filter((_, i) => kept[i]),
    initializers: graph.initializers.filter((init) => live.has(init.name)),
  };
}
