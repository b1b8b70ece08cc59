import { FormatError, hasOp, UnsupportedOpError } from "@polychip/hal";
import { describeNode } from "./node-error.ts";
import { isStructuralOp, type Graph } from "./ir.ts";

/**
 * Checks that a graph is well formed: every value is defined once (inputs, initializers, node
 * outputs), every node reads only values defined before it, the outputs exist, and every op is a
 * HAL op or a structural op. Shapes are checked separately by inferShapes.
 * Throws FormatError for a malformed graph and UnsupportedOpError for an op nothing can run.
 */
export function validateGraph(graph: Graph): void {
  const where = `graph '${graph.name}'`;
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (typeof name !== "string" || name === "") throw new FormatError(`${where}: ${what} has an empty or missing name`);
    if (defined.has(name)) throw new FormatError(`${where}: value %${name} is defined twice (${what})`);
    defined.add(name);
  };
  graph.inputs.forEach((v) => define(v.name, `input '${v.name}'`));
  graph.initializers.forEach((init) => define(init.name, `initializer '${init.name}'`));
  graph.nodes.forEach((node, i) => {
    if (!isStructuralOp(node.op) && !hasOp(node.op)) {
      throw new UnsupportedOpError(`${where}: ${describeNode(i, node)} uses op '${node.op}', which is neither a HAL op nor a structural op`);
    }
    for (const name of node.inputs) {
      if (name !== "" && !defined.has(name)) throw new FormatError(`${where}: ${describeNode(i, node)} reads %${name} before anything defines it`);
    }
    if (node.outputs.length === 0) throw new FormatError(`${where}: ${describeNode(i, node)} has no outputs`);
    node.outputs.forEach((o) => define(o, describeNode(i, node)));
  });
  if (graph.outputs.length === 0) throw new FormatError(`${where}: has no outputs`);
  for (const o of graph.outputs) {
    if (!defined.has(o.name)) throw new FormatError(`${where}: output '${o.name}' is not computed by any node`);
  }
}
