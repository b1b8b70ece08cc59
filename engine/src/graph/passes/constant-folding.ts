import { sizeOf } from "@polychip/hal";
import { inferredShapes } from "../infer-shapes.ts";
import type { Graph, GraphNode, Initializer, ValueInfo } from "../ir.ts";
import { deadCodeElimination } from "./dead-code.ts";

/**
 * Runs a graph with no inputs and returns the named values. The runtime supplies one (a CPU
 * session): the graph IR does not import the runtime that executes it.
 */
export type GraphEvaluator = (graph: Graph) => Promise<Record<string, { dtype: Initializer["dtype"]; shape: readonly number[]; data: Initializer["data"] }>>;

export interface ConstantFoldingOptions {
  /** Evaluates the foldable subgraph. */
  readonly evaluate: GraphEvaluator;
  /**
   * A folded value is stored in the model file, so a node whose output is larger than this many
   * elements and larger than its inputs together (a fill or expand that blows a constant up) stays a node.
   */
  readonly maxElements?: number;
}

const isConcrete = (v: ValueInfo | undefined): v is ValueInfo & { shape: number[] } => !!v && v.shape.every((d) => typeof d === "number");

/**
 * Evaluates on the CPU, once, every node whose inputs are all initializers or other folded values
 * (and `shape`/`size` of values whose shape is fully known), and turns the values the rest of the
 * graph reads into initializers.
 */
export async function constantFolding(graph: Graph, options: ConstantFoldingOptions): Promise<Graph> {
  const limit = options.maxElements ?? 1 << 20;
  const shapes = inferredShapes(graph) ?? new Map<string, ValueInfo>();
  const constant = new Set(graph.initializers.map((i) => i.name));
  const sizeOfValue = (name: string) => {
    const info = shapes.get(name);
    return isConcrete(info) ? sizeOf(info.shape) : Infinity;
  };
  const folded: GraphNode[] = [];
  const hostFolded: Initializer[] = [];
  const remaining: GraphNode[] = [];
  for (const node of graph.nodes) {
    const ins = node.inputs.filter((n) => n !== "");
    const source = shapes.get(ins[0] ?? "");
    if ((node.op === "shape" || node.op === "size") && !constant.has(ins[0] ?? "") && isConcrete(source) && node.outputs.length === 1) {
      // The value is fixed by the shape alone, even though the data is not.
      const dims = node.op === "size" ? [sizeOf(source.shape)] : shapeSlice(source.shape, node);
      hostFolded.push({ name: node.outputs[0]!, dtype: "int32", shape: node.op === "size" ? [] : [dims.length], data: Int32Array.from(dims) });
      constant.add(node.outputs[0]!);
      continue;
    }
    const inputSize = ins.reduce((s, n) => s + sizeOfValue(n), 0);
    const outputSize = node.outputs.reduce((s, n) => s + sizeOfValue(n), 0);
    const small = outputSize <= limit || outputSize <= inputSize;
    if (ins.every((n) => constant.has(n)) && small) {
      folded.push(node);
      node.outputs.forEach((o) => constant.add(o));
    } else remaining.push(node);
  }
  if (folded.length === 0 && hostFolded.length === 0) return graph;
  const readOutside = new Set([...remaining.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  const wanted = folded.flatMap((n) => n.outputs).filter((o) => readOutside.has(o));
  const computed = await evaluate(graph, [...graph.initializers, ...hostFolded], folded, wanted, options.evaluate);
  return deadCodeElimination({ ...graph, nodes: remaining, initializers: [...graph.initializers, ...hostFolded, ...computed] });
}

function shapeSlice(shape: readonly number[], node: GraphNode): number[] {
  const r = shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(typeof node.attrs.start === "number" ? node.attrs.start : 0);
  const end = clamp(typeof node.attrs.end === "number" ? node.attrs.end : r);
  return shape.slice(start, Math.max(start, end));
}

/** Runs the foldable nodes as a graph of their own on the CPU and returns the wanted values. */
async function evaluate(graph: Graph, constants: Initializer[], nodes: GraphNode[], wanted: string[], run: GraphEvaluator): Promise<Initializer[]> {
  if (wanted.length === 0) return [];
  const reads = new Set(nodes.flatMap((n) => n.inputs));
  const sub: Graph = {
    name: `${graph.name}/constants`,
    inputs: [],
    outputs: wanted.map((name) => ({ name, dtype: "float32", shape: [] })),
    nodes,
    initializers: constants.filter((i) => reads.has(i.name)),
  };
  const values = await run(sub);
  return wanted.map((name) => ({ name, dtype: values[name]!.dtype, shape: [...values[name]!.shape], data: values[name]!.data }));
}
