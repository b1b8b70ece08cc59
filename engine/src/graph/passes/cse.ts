import type { AttrValue } from "@polychip/hal";
import type { Graph, GraphNode, Initializer } from "../ir.ts";
import { deadCodeElimination } from "./dead-code.ts";

function canonicalAttrs(attrs: Readonly<Record<string, AttrValue>>): string {
  return JSON.stringify(
    Object.keys(attrs)
      .sort()
      .filter((k) => attrs[k] !== undefined)
      .map((k) => [k, attrs[k]]),
  );
}

/** FNV-1a over the initializer's bytes: a cheap key; equal keys are then compared value by value. */
function contentKey(init: Initializer): string {
  const bytes = new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return `${init.dtype}|${init.shape.join(",")}|${h >>> 0}`;
}

function sameContent(a: Initializer, b: Initializer): boolean {
  if (a.dtype !== b.dtype || a.data.length !== b.data.length || a.shape.join(",") !== b.shape.join(",")) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

/**
 * Merges identical initializers and nodes that compute the same op with the same attributes on
 * the same inputs (every op is deterministic: random ops carry their seed). Values that are graph
 * outputs keep their names.
 */
export function commonSubexpressionElimination(graph: Graph): Graph {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const replace = new Map<string, string>();
  const byContent = new Map<string, Initializer[]>();
  for (const init of graph.initializers) {
    if (outputs.has(init.name)) continue;
    const key = contentKey(init);
    const twins = byContent.get(key) ?? [];
    const twin = twins.find((t) => sameContent(t, init));
    if (twin) replace.set(init.name, twin.name);
    else byContent.set(key, [...twins, init]);
  }
  const r = (n: string) => replace.get(n) ?? n;
  const seen = new Map<string, GraphNode>();
  const nodes: GraphNode[] = [];
  for (const node of graph.nodes) {
    const rewritten = { ...node, inputs: node.inputs.map(r) };
    const key = `${node.op}(${rewritten.inputs.join(",")})${canonicalAttrs(node.attrs)}#${node.outputs.length}`;
    const earlier = seen.get(key);
    if (earlier && !node.outputs.some((o) => outputs.has(o))) {
      node.outputs.forEach((o, i) => replace.set(o, earlier.outputs[i]!));
      continue;
    }
    if (!earlier) seen.set(key, rewritten);
    nodes.push(rewritten);
  }
  return deadCodeElimination({ ...graph, nodes, initializers: graph.initializers.filter((i) => !replace.has(i.name)) });
}
