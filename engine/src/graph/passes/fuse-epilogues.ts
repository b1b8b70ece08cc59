import { FUSIBLE_OPS, parseFusedProgram, type FusedStep } from "@polychip/hal";
import { epilogueOf, MAX_EPILOGUE_OPERANDS, type EpilogueSupport } from "../fusion/epilogue.ts";
import { inferShapes } from "../infer-shapes.ts";
import type { Graph, GraphNode } from "../ir.ts";

export interface FuseEpiloguesOptions {
  /** Whether the target device runs epilogue `op` (conv2dEpilogue, matmulEpilogue) at `dtype` natively: only then is a GEMM fused. */
  readonly supports: EpilogueSupport;
}

/**
 * Folds each float32 or float16 GEMM (conv2d, matmul, conv2dGradInput: see EPILOGUE_BASES) whose result only one elementwise node reads (a `fused` node,
 * as fuseElementwise leaves them, or a single elementwise op) into that node, as a
 * conv2dEpilogue / matmulEpilogue: the device applies the bias, activation or residual add while
 * storing the product. The reader must have the product's shape (the product is not broadcast)
 * and the node at most MAX_EPILOGUE_OPERANDS operands; its outputs keep their names. Run it after fuseElementwise, and only for a device that has
 * the kernels: elsewhere the epilogue would run as the same two ops.
 */
export function fuseEpilogues(graph: Graph, options: FuseEpiloguesOptions): Graph {
  const types = inferShapes(graph);
  const readers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => v !== "" && readers.set(v, [...(readers.get(v) ?? []), i])));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const replaced = new Map<number, GraphNode>(); // reader index -> epilogue node
  const removed = new Set<number>(); // folded GEMMs
  graph.nodes.forEach((gemm, i) => {
    const product = gemm.outputs[0]!;
    const op = epilogueOf(gemm.op, types.get(product)?.dtype, options.supports);
    if (!op || gemm.outputs.length !== 1 || graphOutputs.has(product)) return;
    const baseInputs = withoutTrailingGaps(gemm.inputs);
    if (baseInputs.includes("")) return;
    const users = readers.get(product) ?? [];
    if (users.length !== 1 || replaced.has(users[0]!)) return;
    const reader = graph.nodes[users[0]!]!;
    const [p, out] = [types.get(product), types.get(reader.outputs[0]!)];
    if (!p || !out) return;
    if (JSON.stringify(p.shape) !== JSON.stringify(out.shape) || p.shape.includes("?")) return;
    const program = programOf(reader);
    if (!program) return;
    const at = reader.inputs.indexOf(product);
    if (reader.inputs.lastIndexOf(product) !== at) return;
    // Value 0 becomes the product; the reader's other inputs follow in order, its steps keep their indices.
    const extras = reader.inputs.filter((_, k) => k !== at);
    if (baseInputs.length + extras.length + reader.outputs.length > MAX_EPILOGUE_OPERANDS) return;
    const remap = (v: number) => (v === at ? 0 : v < reader.inputs.length ? (v < at ? v + 1 : v) : v);
    const steps = program.steps.map((s) => ({ ...s, args: s.args.map(remap) }));
    replaced.set(users[0]!, {
      op,
      inputs: [...baseInputs, ...extras],
      outputs: reader.outputs,
      attrs: { ...gemm.attrs, baseInputs: baseInputs.length, program: JSON.stringify(steps), outputs: program.outputs.map(remap) },
      name: `${op}(${[gemm.op, ...steps.filter((s) => s.op !== "const").map((s) => s.op)].join(",")})`,
    });
    removed.add(i);
  });
  if (replaced.size === 0) return graph;
  const nodes = graph.nodes.flatMap((n, i) => (removed.has(i) ? [] : [replaced.get(i) ?? n]));
  return { ...graph, nodes };
}

/** A fused node's program, or a single elementwise op as a one-step program over its inputs. */
function programOf(node: GraphNode): { steps: readonly FusedStep[]; outputs: readonly number[] } | undefined {
  if (node.op === "fused") return parseFusedProgram(node.attrs, node.inputs.length);
  if (!FUSIBLE_OPS.has(node.op) || node.op === "const" || node.outputs.length !== 1 || node.inputs.includes("")) return undefined;
  const step: FusedStep =
    node.op === "cast"
      ? { op: node.op, args: node.inputs.map((_, k) => k), to: node.attrs.to as FusedStep["to"] }
      : { op: node.op, args: node.inputs.map((_, k) => k) };
  return { steps: [step], outputs: [node.inputs.length] };
}

function withoutTrailingGaps(inputs: readonly string[]): string[] {
  const out = [...inputs];
  while (out.at(-1) === "") out.pop();
  return out;
}
