import { roundToFloat16 } from "@polychip/hal";
import { inferShapes } from "../graph/infer-shapes.ts";
import { nameAllocator, type Graph, type GraphNode } from "../graph/ir.ts";

/** Attributes that name a dtype a node creates. */
const DTYPE_ATTRS = ["to", "dtype"] as const;

/**
 * float16 deployment: every float32 weight and activation becomes float16. The graph keeps its
 * float32 interface: each float32 input is cast to float16 where it enters, each float32 output is
 * computed in float16 and cast back to float32 under its own name. Nodes that create float32
 * values (cast, constant, fill, random) create float16 ones instead; integer and bool values are
 * untouched. Arithmetic then runs on float16 kernels (an NPU's fp16 tensor unit accumulates in
 * fp32 and rounds once per op).
 */
export function float16Graph(graph: Graph): Graph {
  const fresh = nameAllocator(graph);
  const rename = new Map<string, string>();
  const nodes: GraphNode[] = [];
  for (const input of graph.inputs) {
    if (input.dtype !== "float32") continue;
    const half = fresh(`${input.name}_f16`);
    rename.set(input.name, half);
    nodes.push({ op: "cast", inputs: [input.name], outputs: [half], attrs: { to: "float16" } });
  }
  // Outputs computed by nodes are computed in float16 under another name and cast back; an input or
  // initializer returned as it is stays float32.
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  const halfOf = new Map(graph.outputs.filter((o) => o.dtype === "float32" && produced.has(o.name)).map((o) => [o.name, fresh(`${o.name}_f16`)]));
  const keptFloat32 = new Set(graph.outputs.map((o) => o.name).filter((name) => !produced.has(name)));
  for (const node of graph.nodes) {
    const attrs = { ...node.attrs };
    for (const key of DTYPE_ATTRS) if (attrs[key] === "float32") attrs[key] = "float16";
    nodes.push({
      ...node,
      attrs,
      inputs: node.inputs.map((v) => rename.get(v) ?? halfOf.get(v) ?? v),
      outputs: node.outputs.map((v) => halfOf.get(v) ?? v),
    });
  }
  for (const [output, half] of halfOf) nodes.push({ op: "cast", inputs: [half], outputs: [output], attrs: { to: "float32" } });
  const result: Graph = {
    ...graph,
    nodes,
    initializers: graph.initializers.map((init) =>
      init.dtype === "float32" && !keptFloat32.has(init.name) ? { ...init, dtype: "float16", data: Float32Array.from(init.data, roundToFloat16) } : init,
    ),
    metadata: { ...graph.metadata, precision: "float16" },
  };
  inferShapes(result); // a pass must leave a graph that still checks
  return result;
}
