import type { AttrValue } from "@polychip/hal";
import type { Graph } from "../ir.ts";

/** Single-element constants: initializers, `constant` and `fill` nodes. */
export function scalarConstants(graph: Graph): Map<string, number> {
  const out = new Map<string, number>();
  for (const init of graph.initializers) if (init.data.length === 1) out.set(init.name, init.data[0]!);
  for (const n of graph.nodes) {
    const value = n.attrs.value as AttrValue;
    const one = Array.isArray(value) && value.length === 1 ? value[0] : typeof value === "number" ? value : undefined;
    if ((n.op === "constant" || n.op === "fill") && one !== undefined) out.set(n.outputs[0]!, one);
  }
  return out;
}
