/**
 * Layered layout of a model graph for the graph view: each node sits one layer below the last of
 * its producers; nodes of a layer are spread side by side. Deterministic, no dependencies.
 */
export interface LayoutNode {
  id: number;
  inputs: readonly string[];
  outputs: readonly string[];
}

export interface Placed {
  id: number;
  layer: number;
  column: number;
}

export interface Layout {
  placed: Placed[];
  layers: number;
  columns: number;
  /** Producer → consumer node ids. */
  edges: [number, number][];
}

export function layoutGraph(nodes: readonly LayoutNode[]): Layout {
  const producer = new Map<string, number>();
  nodes.forEach((n) => n.outputs.forEach((o) => producer.set(o, n.id)));
  const layerOf = new Map<number, number>();
  const edges: [number, number][] = [];
  for (const n of nodes) {
    // Graph IR nodes are in topological order, so producers were placed already.
    let layer = 0;
    for (const input of n.inputs) {
      const p = producer.get(input);
      if (p === undefined || p === n.id) continue;
      edges.push([p, n.id]);
      layer = Math.max(layer, (layerOf.get(p) ?? 0) + 1);
    }
    layerOf.set(n.id, layer);
  }
  const perLayer = new Map<number, number>();
  const placed = nodes.map((n) => {
    const layer = layerOf.get(n.id)!;
    const column = perLayer.get(layer) ?? 0;
    perLayer.set(layer, column + 1);
    return { id: n.id, layer, column };
  });
  return { placed, layers: Math.max(0, ...placed.map((p) => p.layer + 1)), columns: Math.max(1, ...perLayer.values()), edges };
}
