import { parseFusedProgram, type FusedProgram, type GraphNodeView, type GraphView } from "@polychip/hal";

/** A `fused` node seen as an epilogue of the value `value` it reads: its program over [value, operands...]. */
export interface ProgramOverValue {
  readonly program: FusedProgram;
  /** The node's other inputs, in the order the program now numbers them (1, 2, ...). */
  readonly operands: readonly string[];
}

/**
 * The engine's fused group `node` (one output, `value` read once, the output in `value`'s dtype)
 * renumbered so that `value` is the program's input 0, as a GEMM epilogue takes its product;
 * undefined when the node is not such a group or an operand fails `operandOk`.
 */
export function programOverValue(graph: GraphView, node: GraphNodeView, value: string, operandOk: (name: string) => boolean): ProgramOverValue | undefined {
  if (node.op !== "fused" || node.outputs.length !== 1) return undefined;
  const at = node.inputs.indexOf(value);
  if (at < 0 || node.inputs.lastIndexOf(value) !== at) return undefined;
  if (graph.values.get(node.outputs[0]!)?.dtype !== graph.values.get(value)?.dtype) return undefined;
  const operands = node.inputs.filter((_, i) => i !== at);
  if (!operands.every(operandOk)) return undefined;
  const { steps, outputs } = parseFusedProgram(node.attrs, node.inputs.length);
  const renumber = (v: number) => (v === at ? 0 : v < at ? v + 1 : v);
  return {
    program: { steps: steps.map((s) => ({ ...s, args: s.args.map(renumber) })), outputs: outputs.map(renumber) },
    operands,
  };
}
