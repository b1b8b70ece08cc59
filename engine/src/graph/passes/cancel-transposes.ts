import type { Graph, GraphNode } from "../ir.ts";

/**
 * Folds each transpose (permute) of a transpose into one transpose of the original value, and
 * drops it where the two cancel: its readers read the original value instead. A graph output
 * that would vanish that way becomes an identity of the original. Leaves the now unread
 * transposes for dead-code elimination.
 */
export function cancelTransposes(graph: Graph): Graph {
  const permutes = new Map<string, { input: string; dims: readonly number[] }>();
  const alias = new Map<string, string>();
  const resolve = (v: string): string => alias.get(v) ?? v;
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const nodes: GraphNode[] = [];
  for (const original of graph.nodes) {
    const node = { ...original, inputs: original.inputs.map(resolve) };
    const dims = node.op === "permute" && node.inputs.length === 1 ? permuteDims(node) : undefined;
    const inner = dims && permutes.get(node.inputs[0]!);
    if (!dims || !inner || inner.dims.length !== dims.length) {
      if (dims) permutes.set(node.outputs[0]!, { input: node.inputs[0]!, dims });
      nodes.push(node);
      continue;
    }
    // permute(permute(x, a), b) reads x's dim a[b[i]] at position i.
    const composed = dims.map((d) => inner.dims[d]!);
    const out = node.outputs[0]!;
    if (composed.every((d, i) => d === i)) {
      if (outputs.has(out)) nodes.push({ ...node, op: "identity", inputs: [inner.input], attrs: {} });
      else alias.set(out, inner.input);
      continue;
    }
    permutes.set(out, { input: inner.input, dims: composed });
    nodes.push({ ...node, inputs: [inner.input], attrs: { ...node.attrs, dims: composed } });
  }
  return { ...graph, nodes };
}

function permuteDims(node: GraphNode): readonly number[] | undefined {
  const dims = node.attrs.dims;
  return Array.isArray(dims) ? (dims as readonly number[]) : undefined;
}
