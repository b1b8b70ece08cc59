import { FUSIBLE_OPS } from "@polychip/hal";
import { inferredShapes } from "../infer-shapes.ts";
import type { Graph, GraphNode, ValueInfo } from "../ir.ts";

/** Binary elementwise ops moved, with either operand the one-element one (order kept: sub and div are not symmetric). */
const MOVED = new Set(["add", "sub", "mul", "div"]);

/** Views that keep every element and only rearrange or relabel dims. */
const VIEWS = new Set(["permute", "reshape", "squeeze", "unsqueeze", "flatten", "identity"]);

/**
 * Views that never copy, whatever their input's layout: the moved op may leave one of these behind
 * for other readers. A reshape or flatten of a transposed value copies, so one read elsewhere too
 * is left alone (moving past it would copy twice).
 */
const FREE_VIEWS = new Set(["permute", "squeeze", "unsqueeze", "identity"]);

/** Rewrites at most this many times the node count (each moves one op one view closer to its producer). */
const MAX_ROUNDS_PER_NODE = 4;

/**
 * An elementwise op with a one-element operand (a scale, an offset) applied to a view — a
 * permute, reshape, squeeze or unsqueeze — moves before the view: `view(x) · s` becomes
 * `view(x · s)`, repeated through chains of views. Attention as exporters write it scales the
 * transposed key (`Transpose(K) · s`): the scale then runs on K as the projection made it, where
 * it joins K's elementwise chain (one fused kernel, contiguous) instead of a kernel of its own
 * over a transposed view. Every element gets the same single operation, so values are unchanged.
 * Only an op that ends its elementwise chain moves (one inside a chain, as GELU's x/√2, runs fused
 * with the rest where it is). A permute, squeeze or unsqueeze stays for its other readers; a reshape read elsewhere too is not
 * passed. A graph whose shapes cannot be inferred is returned as is.
 */
export function scalarsBeforeViews(graph: Graph): Graph {
  const shapes = inferredShapes(graph);
  if (!shapes) return graph;
  let g = graph;
  const limit = MAX_ROUNDS_PER_NODE * graph.nodes.length;
  for (let round = 0; round < limit; round++) {
    const next = moveOne(g, shapes);
    if (!next) return g;
    g = next;
  }
  return g;
}

/**
 * The graph with the first movable op moved one view back (its new value's shape added to
 * `shapes`: x's, as the other values' stay), or undefined when none is left.
 */
function moveOne(graph: Graph, shapes: Map<string, ValueInfo>): Graph | undefined {
  const producer = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  // Values an elementwise op reads: moving the op that makes one would split that chain's fused kernel.
  const chained = new Set<string>();
  for (const n of graph.nodes) if (FUSIBLE_OPS.has(n.op)) for (const i of n.inputs) chained.add(i);
  for (const o of graph.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
  for (let at = 0; at < graph.nodes.length; at++) {
    const n = graph.nodes[at]!;
    if (!MOVED.has(n.op) || n.inputs.length !== 2 || n.outputs.length !== 1 || chained.has(n.outputs[0]!)) continue;
    for (const side of [0, 1]) {
      const viewed = n.inputs[side]!;
      const scalar = n.inputs[1 - side]!;
      const view = producer.get(viewed);
      if (!view || !VIEWS.has(view.op) || view.outputs.length !== 1) continue;
      const shared = readers.get(viewed)! > 1;
      if (shared && !FREE_VIEWS.has(view.op)) continue;
      const x = view.inputs[0]!;
      const [xs, ss, vs, out] = [x, scalar, viewed, n.outputs[0]!].map((name) => shapes.get(name));
      if (!xs || !ss || !vs || !out || !ss.shape.every((d) => d === 1)) continue;
      // The one-element operand broadcasts without adding dims on either side of the view.
      if (ss.shape.length > xs.shape.length || ss.shape.length > vs.shape.length || xs.dtype !== vs.dtype || out.dtype !== vs.dtype) continue;
      const moved = `${out.name}\u0000before-view`;
      shapes.set(moved, { name: moved, dtype: xs.dtype, shape: xs.shape });
      const inputs = side === 0 ? [x, scalar] : [scalar, x];
      const op: GraphNode = { ...n, inputs, outputs: [moved] };
      const after: GraphNode = { ...view, inputs: [moved, ...view.inputs.slice(1)], outputs: [out.name] };
      // In n's place: x and the scalar are both defined before it.
      const nodes = [...graph.nodes.slice(0, at), op, after, ...graph.nodes.slice(at + 1)];
      // The view's only reader was n: drop it.
      const dropped = shared ? nodes : nodes.filter((m) => m !== view);
      return { ...graph, nodes: dropped };
    }
  }
  return undefined;
}
