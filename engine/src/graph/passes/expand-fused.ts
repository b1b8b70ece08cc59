import { EPILOGUE_BASES, parseEpilogue, parseFusedProgram, ShapeError } from "@polychip/hal";
import { inferShapes } from "../infer-shapes.ts";
import { nameAllocator, type Graph, type GraphNode } from "../ir.ts";

type Dims = readonly (number | string)[];

/** NumPy broadcasting on inferred dims, where a symbol ("batch") is a name that only equals itself or 1. */
function broadcast(shapes: readonly Dims[]): Dims | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: (number | string)[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      if (s[i] === 1 || s[i] === out[o]) continue;
      if (out[o] !== 1) return undefined;
      out[o] = s[i]!;
    }
  }
  return out;
}

const sameDims = (a: Dims | undefined, b: Dims | undefined) => !!a && !!b && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The inverse of `fuseElementwise` and `fuseEpilogues`: every GEMM epilogue becomes its GEMM and a
 * `fused` node, and every `fused` node the nodes of its program again (a const becomes a rank-0
 * `fill`), its outputs keeping their names, for exporters and views that
 * know only the plain ops (ONNX). An output that copies an input, repeats another output, or is
 * smaller than the node's shape would need a broadcast the IR has no node for: such a node is
 * refused with a ShapeError naming it (fuseElementwise never builds one).
 */
export function expandFused(input: Graph): Graph {
  if (!input.nodes.some((n) => n.op === "fused" || n.op in EPILOGUE_BASES)) return input;
  const graph = splitEpilogues(input);
  const types = inferShapes(graph);
  const fresh = nameAllocator(graph);
  const nodes: GraphNode[] = [];
  graph.nodes.forEach((node, index) => {
    if (node.op !== "fused") {
      nodes.push(node);
      return;
    }
    const where = `expandFused: node ${index} (${node.name ?? "fused"})`;
    const { steps, outputs } = parseFusedProgram(node.attrs, node.inputs.length);
    const count = node.inputs.length;
    const shapes: (Dims | undefined)[] = node.inputs.map((v) => types.get(v)?.shape);
    for (const s of steps) shapes.push(s.op === "const" ? [] : s.args.some((a) => !shapes[a]) ? undefined : broadcast(s.args.map((a) => shapes[a]!)));
    const shape = types.get(node.outputs[0]!)?.shape;
    const nameOf = new Map<number, string>();
    outputs.forEach((o, m) => {
      if (o < count || nameOf.has(o) || !sameDims(shapes[o], shape)) {
        throw new ShapeError(
          `${where}: output ${m} (value ${o}) is not a step result of the node's shape [${shape?.join(", ") ?? "?"}], so it cannot become a plain node`,
        );
      }
      nameOf.set(o, node.outputs[m]!);
    });
    const names = [...node.inputs];
    steps.forEach((s, k) => {
      const name = nameOf.get(count + k) ?? fresh(`${node.outputs[0]}_${k}`);
      names.push(name);
      if (s.op === "const") nodes.push({ op: "fill", inputs: [], outputs: [name], attrs: { shape: [], dtype: s.to ?? "float32", value: s.value! } });
      else nodes.push({ op: s.op, inputs: s.args.map((a) => names[a]!), outputs: [name], attrs: s.op === "cast" ? { to: s.to! } : {} });
    });
  });
  return { ...graph, nodes };
}

/**
 * Each conv2dEpilogue / matmulEpilogue as its GEMM node and a `fused` node over [product, extras]:
 * the product takes the name of an output that is the product itself, else a fresh one.
 */
function splitEpilogues(graph: Graph): Graph {
  if (!graph.nodes.some((n) => n.op in EPILOGUE_BASES)) return graph;
  const fresh = nameAllocator(graph);
  const nodes = graph.nodes.flatMap((node): GraphNode[] => {
    if (!(node.op in EPILOGUE_BASES)) return [node];
    const e = parseEpilogue(node.op, node.attrs, node.inputs.length);
    const direct = e.program.outputs.indexOf(0);
    const product = direct >= 0 ? node.outputs[direct]! : fresh(`${node.outputs[0]}_product`);
    const gemm: GraphNode = { op: e.base, inputs: node.inputs.slice(0, e.baseInputs), outputs: [product], attrs: e.baseAttrs };
    const rest = node.outputs.map((_, m) => m).filter((m) => m !== direct);
    if (rest.length === 0) return [gemm];
    const program = { program: e.fusedAttrs.program!, outputs: rest.map((m) => e.program.outputs[m]!) };
    return [gemm, { op: "fused", inputs: [product, ...node.inputs.slice(e.baseInputs)], outputs: rest.map((m) => node.outputs[m]!), attrs: program }];
  });
  return { ...graph, nodes };
}
