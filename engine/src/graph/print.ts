import type { AttrValue } from "@polychip/hal";
import { inferShapes } from "./infer-shapes.ts";
import type { Graph, ValueInfo } from "./ir.ts";

const LONG_LIST = 8;

function formatAttr(v: AttrValue): string {
  if (Array.isArray(v)) {
    const shown = v.slice(0, LONG_LIST).join(",");
    return v.length > LONG_LIST ? `[${shown},…(${v.length} values)]` : `[${shown}]`;
  }
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

const formatType = (v: Pick<ValueInfo, "dtype" | "shape">) => `${v.dtype}[${v.shape.join(",")}]`;

/**
 * The graph as text, one line per node:
 *   %5 = conv2d(%x, %0.weight, %0.bias) {strides: [1,1], pads: [1,1,1,1]}  # float32[batch,32,28,28]
 * Shapes come from inferShapes; a graph whose shapes cannot be inferred still prints, without them.
 */
export function printGraph(graph: Graph): string {
  let shapes: Map<string, ValueInfo>;
  try {
    shapes = inferShapes(graph);
  } catch {
    shapes = new Map();
  }
  const sig = (vs: readonly ValueInfo[]) => vs.map((v) => `%${v.name}: ${formatType(v)}`).join(", ");
  const lines = [`graph ${graph.name}(${sig(graph.inputs)}) -> (${sig(graph.outputs)})`];
  for (const init of graph.initializers) lines.push(`  %${init.name}: ${formatType(init)}  # initializer`);
  for (const node of graph.nodes) {
    const args = node.inputs.map((i) => (i === "" ? "_" : `%${i}`)).join(", ");
    const attrs = Object.entries(node.attrs).filter(([, v]) => v !== undefined);
    const attrText = attrs.length ? ` {${attrs.map(([k, v]) => `${k}: ${formatAttr(v)}`).join(", ")}}` : "";
    const types = node.outputs
      .map((o) => shapes.get(o))
      .map((s) => (s ? formatType(s) : "?"))
      .join(", ");
    const label = node.name ? ` (${node.name})` : "";
    lines.push(`  ${node.outputs.map((o) => `%${o}`).join(", ")} = ${node.op}(${args})${attrText}  # ${types}${label}`);
  }
  lines.push(`  return ${graph.outputs.map((o) => `%${o.name}`).join(", ")}`);
  return lines.join("\n");
}
