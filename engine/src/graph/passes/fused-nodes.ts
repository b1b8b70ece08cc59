import { MAX_EPILOGUE_OPERANDS } from "../fusion/epilogue.ts";
import type { FusionGroup } from "../fusion/group.ts";
import { fusedProgram } from "../fusion/program.ts";
import type { Graph, GraphNode } from "../ir.ts";
import { withoutTrailingGaps, type Scalars } from "./fusion-members.ts";

/**
 * The program of `members` (graph node indices): scalars inlined as const steps, outputs the
 * values read outside the members (`readers`: -1 for a graph output); with `product`, that value
 * (a GEMM's result) is input 0.
 */
function programOf(graph: Graph, members: readonly number[], scalars: Scalars, readers: ReadonlyMap<string, number[]>, product?: string) {
  const nodes = members.map((m) => graph.nodes[m]!);
  const memberOf = new Map(nodes.map((n, k) => [n.outputs[0]!, k]));
  const program = fusedProgram({
    members: nodes.map((n) => ({ op: n.op, reads: n.inputs, to: n.attrs.to })),
    memberOf: (v) => memberOf.get(v),
    key: (v) => v,
    constant: (v) => scalars.get(v),
    needed: (k) => (readers.get(nodes[k]!.outputs[0]!) ?? []).some((r) => r < 0 || !members.includes(r)),
    lead: product === undefined ? undefined : { input: product, needed: false },
  });
  return { ...program, outputs: program.results.map((k) => nodes[k]!.outputs[0]!), ops: nodes.map((n) => n.op) };
}

/** The `fused` node for a group: external inputs in order of first use, scalars as const steps, outputs = values read outside. */
export function fusedNode(graph: Graph, members: readonly number[], scalars: Scalars, readers: ReadonlyMap<string, number[]>): GraphNode {
  const program = programOf(graph, members, scalars, readers);
  return { op: "fused", inputs: program.inputs, outputs: program.outputs, attrs: program.attrs, name: `fused(${program.ops.join(",")})` };
}

/**
 * The nodes of a group headed by a GEMM: one epilogue node (conv2dEpilogue, ...) over the GEMM's
 * inputs and the program's other inputs, the GEMM's attrs and `baseInputs`; or, past
 * MAX_EPILOGUE_OPERANDS operands or when a node outside the group reads the product (one of its
 * several readers did not join), the GEMM and a `fused` node (or single node) of the rest.
 */
export function epilogueNodes(graph: Graph, group: FusionGroup, scalars: Scalars, readers: ReadonlyMap<string, number[]>): GraphNode[] {
  const gemm = graph.nodes[group.head!]!;
  const rest = group.members.filter((m) => m !== group.head);
  const program = programOf(graph, rest, scalars, readers, gemm.outputs[0]!);
  const baseInputs = withoutTrailingGaps(gemm.inputs);
  const extras = program.inputs.slice(1);
  const readOutside = (readers.get(gemm.outputs[0]!) ?? []).some((r) => r < 0 || !group.members.includes(r));
  if (readOutside || baseInputs.length + extras.length + program.outputs.length > MAX_EPILOGUE_OPERANDS) {
    return [gemm, rest.length === 1 ? graph.nodes[rest[0]!]! : fusedNode(graph, rest, scalars, readers)];
  }
  const op = group.epilogue!;
  return [
    {
      op,
      inputs: [...baseInputs, ...extras],
      outputs: program.outputs,
      attrs: { ...gemm.attrs, baseInputs: baseInputs.length, ...program.attrs },
      name: `${op}(${[gemm.op, ...program.ops].join(",")})`,
    },
  ];
}
