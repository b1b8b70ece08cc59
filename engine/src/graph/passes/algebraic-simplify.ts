import { inferredShapes } from "../infer-shapes.ts";
import type { Graph, GraphNode, ValueInfo } from "../ir.ts";
import { deadCodeElimination } from "./dead-code.ts";
import { scalarConstants } from "./scalar-constants.ts";

/** x op c → x when c is this scalar and the result keeps x's shape and dtype. */
const NEUTRAL: Readonly<Record<string, { value: number; side: "either" | "right" }>> = {
  add: { value: 0, side: "either" },
  sub: { value: 0, side: "right" },
  mul: { value: 1, side: "either" },
  div: { value: 1, side: "right" },
  pow: { value: 1, side: "right" },
};

const dimsOf = (info: ValueInfo | undefined) => (info ? `${info.dtype}[${info.shape.join(",")}]` : undefined);

/**
 * Algebraic identities on the graph IR, for models as exporters write them: x+0, x−0, x·1, x/1,
 * x^1 → x; x^2 → x·x; −(−x) → x; a cast to x's own dtype → x; a permute of a permute → one permute
 * (nothing when they cancel); a reshape of a reshape to a given shape → one reshape. An identity
 * applies only where the result has exactly x's shape and dtype (adding a [3] zero to a scalar
 * broadcasts, so it stays). Graph outputs keep their names. A graph whose shapes cannot be
 * inferred before running is returned unchanged.
 */
export function algebraicSimplify(graph: Graph): Graph {
  const shapes = inferredShapes(graph);
  if (!shapes) return graph;
  const scalar = scalarConstants(graph);
  const producer = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const replaced = new Map<string, string>();
  const r = (name: string) => replaced.get(name) ?? name;
  const sameAs = (out: string, x: string) => dimsOf(shapes.get(out)) !== undefined && dimsOf(shapes.get(out)) === dimsOf(shapes.get(x));
  const nodes: GraphNode[] = [];
  for (const original of graph.nodes) {
    const n = { ...original, inputs: original.inputs.map(r) };
    const out = n.outputs[0]!;
    const forward = simplified(n, scalar, producer, sameAs);
    if (typeof forward === "string") replaced.set(out, forward);
    else nodes.push(forward);
  }
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  // A graph output that became another value keeps its name through an identity.
  for (const [out, to] of replaced) if (outputNames.has(out)) nodes.push({ op: "identity", inputs: [r(to)], outputs: [out], attrs: {} });
  return deadCodeElimination({ ...graph, nodes });
}

/** The node rewritten, or the name of the value it equals. */
function simplified(
  n: GraphNode,
  scalar: ReadonlyMap<string, number>,
  producer: ReadonlyMap<string, GraphNode>,
  sameAs: (out: string, x: string) => boolean,
): GraphNode | string {
  const out = n.outputs[0]!;
  const [a, b] = n.inputs;
  const neutral = NEUTRAL[n.op];
  if (neutral && n.inputs.length === 2) {
    if (scalar.get(b!) === neutral.value && sameAs(out, a!)) return a!;
    if (neutral.side === "either" && scalar.get(a!) === neutral.value && sameAs(out, b!)) return b!;
    if (n.op === "pow" && scalar.get(b!) === 2) return { ...n, op: "mul", inputs: [a!, a!] };
  }
  if (n.op === "neg") {
    const inner = producer.get(a!);
    if (inner?.op === "neg") return inner.inputs[0]!;
  }
  if (n.op === "cast" && sameAs(out, a!)) return a!;
  if (n.op === "permute" && n.inputs.length === 1) {
    const inner = producer.get(a!);
    const outer = n.attrs.dims as number[] | undefined;
    const first = inner?.attrs.dims as number[] | undefined;
    if (inner?.op === "permute" && inner.inputs.length === 1 && outer && first) {
      const dims = outer.map((d) => first[d]!);
      return dims.every((d, i) => d === i) ? inner.inputs[0]! : { ...n, inputs: [inner.inputs[0]!], attrs: { ...n.attrs, dims } };
    }
  }
  if (n.op === "reshape" && n.inputs.length === 1 && Array.isArray(n.attrs.shape) && !(n.attrs.shape as number[]).includes(0)) {
    const inner = producer.get(a!);
    if (inner?.op === "reshape") return sameAs(out, inner.inputs[0]!) ? inner.inputs[0]! : { ...n, inputs: [inner.inputs[0]!] };
  }
  return n;
}
