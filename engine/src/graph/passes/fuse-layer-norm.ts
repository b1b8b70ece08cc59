import { sizeOf } from "@polychip/hal";
import { inferredShapes } from "../infer-shapes.ts";
import type { EpilogueSupport } from "../fusion/epilogue.ts";
import type { Graph, GraphNode, ValueInfo } from "../ir.ts";
import { scalarConstants } from "./scalar-constants.ts";

/** How far a constant divisor may be from the normalised element count (1/N as float32 rounds). */
const COUNT_TOLERANCE = 1e-6;

/**
 * A layer normalisation written out as exporters write it (ONNX before opset 17, a PyTorch
 * module traced op by op) becomes one `layerNorm` node where the device has its kernel:
 *
 *   mean = reduceSum(x, trailing axes) / N      (or · 1/N)
 *   c    = x − mean
 *   var  = reduceSum(c², same axes) / N         (c² as pow(c, 2) or c · c)
 *   y    = c / sqrt(var + ε) [· weight] [+ bias]
 *
 * Six or more kernels (two reductions, a scalar chain, the elementwise passes over x) become one
 * pass that reads x twice; at small sizes what each kernel launch costs dominates. Applies only
 * where every intermediate value has no reader outside the pattern and is no graph output, N is
 * the count of the reduced (trailing) dims, and weight and bias have exactly the normalised
 * shape. `supports` says whether the device has its own layerNorm kernel at a dtype (without it
 * the composite would run as this same decomposition). A graph whose shapes cannot be inferred is
 * returned unchanged.
 */
export function fuseLayerNorm(graph: Graph, supports: EpilogueSupport): Graph {
  if (!graph.nodes.some((n) => n.op === "reduceSum")) return graph;
  const shapes = inferredShapes(graph);
  if (!shapes) return graph;
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of new Set(n.inputs)) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const ctx: Context = { shapes, scalar: scalarConstants(graph), readers, outputs, supports };

  const removed = new Set<GraphNode>();
  const replacement = new Map<GraphNode, GraphNode>();
  for (const n of graph.nodes) {
    if (n.op !== "reduceSum" || removed.has(n)) continue;
    const match = layerNormFrom(n, ctx);
    if (!match) continue;
    for (const m of match.nodes) removed.add(m);
    replacement.set(match.last, match.fused);
  }
  if (replacement.size === 0) return graph;
  const nodes = graph.nodes.flatMap((n) => (replacement.has(n) ? [replacement.get(n)!] : removed.has(n) ? [] : [n]));
  return { ...graph, nodes };
}

interface Context {
  readonly shapes: ReadonlyMap<string, ValueInfo>;
  readonly scalar: ReadonlyMap<string, number>;
  readonly readers: ReadonlyMap<string, readonly GraphNode[]>;
  readonly outputs: ReadonlySet<string>;
  readonly supports: EpilogueSupport;
}

interface Match {
  /** Every node the layerNorm replaces. */
  readonly nodes: readonly GraphNode[];
  /** The node whose output the layerNorm takes over (and whose place it takes). */
  readonly last: GraphNode;
  readonly fused: GraphNode;
}

/** The layer norm whose mean `sum` (a reduceSum of x) starts, if the pattern holds from there. */
function layerNormFrom(sum: GraphNode, ctx: Context): Match | undefined {
  const x = sum.inputs[0]!;
  const info = ctx.shapes.get(x);
  if (!info || (info.dtype !== "float32" && info.dtype !== "float16") || !ctx.supports("layerNorm", info.dtype)) return undefined;
  const axis = trailingAxis(sum, info.shape.length);
  if (axis === undefined) return undefined;
  const normShape = info.shape.slice(axis);
  if (!normShape.every((d): d is number => typeof d === "number")) return undefined;
  const count = sizeOf(normShape);

  const mean = meanOf(sum, count, ctx);
  const centred = mean && only(mean.outputs[0]!, ctx, (n) => n.op === "sub" && n.inputs[0] === x && n.inputs[1] === mean.outputs[0]);
  if (!mean || !centred) return undefined;
  const c = centred.outputs[0]!;
  const cReaders = ctx.readers.get(c) ?? [];
  if (cReaders.length !== 2 || ctx.outputs.has(c)) return undefined;
  const square = cReaders.find(
    (n) => (n.op === "pow" && n.inputs[0] === c && ctx.scalar.get(n.inputs[1]!) === 2) || (n.op === "mul" && n.inputs[0] === c && n.inputs[1] === c),
  );
  const sumSquares = square && only(square.outputs[0]!, ctx, (n) => n.op === "reduceSum" && sameAxes(n, sum, info.shape.length));
  const variance = sumSquares && meanOf(sumSquares, count, ctx);
  const shifted = variance && only(variance.outputs[0]!, ctx, (n) => n.op === "add" && n.inputs.length === 2);
  const epsilonName = shifted && shifted.inputs.find((i) => i !== variance!.outputs[0]);
  const epsilon = epsilonName === undefined ? undefined : ctx.scalar.get(epsilonName);
  if (!shifted || epsilon === undefined || !(epsilon >= 0)) return undefined;
  const deviation = only(shifted.outputs[0]!, ctx, (n) => n.op === "sqrt");
  const normalised = deviation && only(deviation.outputs[0]!, ctx, (n) => n.op === "div" && n.inputs[0] === c && n.inputs[1] === deviation.outputs[0]);
  if (!normalised || !cReaders.includes(normalised)) return undefined;

  const nodes = [sum, mean, centred, square!, sumSquares!, variance!, shifted, deviation!, normalised];
  const params: string[] = [];
  let last = normalised;
  for (const op of ["mul", "add"]) {
    const next = ctx.readers.get(last.outputs[0]!)?.length === 1 && !ctx.outputs.has(last.outputs[0]!) ? ctx.readers.get(last.outputs[0]!)![0]! : undefined;
    const param = next?.op === op && next.inputs.length === 2 ? next.inputs.find((i) => i !== last.outputs[0]) : undefined;
    const paramInfo = param === undefined ? undefined : ctx.shapes.get(param);
    if (!next || param === undefined || !paramInfo || paramInfo.dtype !== info.dtype || !sameDims(paramInfo.shape, normShape)) break;
    params.push(param);
    nodes.push(next);
    last = next;
  }
  const y = last.outputs[0]!;
  // Only the output the layerNorm takes over may be read outside the pattern.
  if (nodes.some((n) => n !== last && ctx.outputs.has(n.outputs[0]!))) return undefined;
  const fused: GraphNode = { op: "layerNorm", inputs: [x, ...params], outputs: [y], attrs: { axis, epsilon }, ...(last.name ? { name: last.name } : {}) };
  return { nodes, last, fused };
}

/** The node dividing `sum` by the element count (or multiplying by its inverse), when it is sum's only reader. */
function meanOf(sum: GraphNode, count: number, ctx: Context): GraphNode | undefined {
  const s = sum.outputs[0]!;
  return only(s, ctx, (n) => {
    const by = n.inputs[0] === s ? ctx.scalar.get(n.inputs[1]!) : undefined;
    if (by === undefined) return false;
    if (n.op === "div") return Math.abs(by - count) <= COUNT_TOLERANCE * count;
    return n.op === "mul" && Math.abs(by * count - 1) <= COUNT_TOLERANCE;
  });
}

/** The only reader of `value` when it is one and passes `test` (and the value is no graph output). */
function only(value: string, ctx: Context, test: (n: GraphNode) => boolean): GraphNode | undefined {
  const rs = ctx.readers.get(value) ?? [];
  return rs.length === 1 && !ctx.outputs.has(value) && test(rs[0]!) ? rs[0] : undefined;
}

/** The first reduced axis when a reduceSum keeps its dims and reduces exactly the trailing ones (axis..rank-1). */
function trailingAxis(sum: GraphNode, rank: number): number | undefined {
  const axes = normalisedAxes(sum, rank);
  if (!axes || sum.attrs.keepDims !== true || axes.length === 0) return undefined;
  const first = rank - axes.length;
  return axes.every((a, i) => a === first + i) ? first : undefined;
}

function normalisedAxes(sum: GraphNode, rank: number): number[] | undefined {
  const axes = sum.attrs.axes;
  if (!Array.isArray(axes) || !axes.every((a) => typeof a === "number" && a >= -rank && a < rank)) return undefined;
  return [...new Set((axes as number[]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

function sameAxes(a: GraphNode, b: GraphNode, rank: number): boolean {
  const [x, y] = [normalisedAxes(a, rank), normalisedAxes(b, rank)];
  return a.attrs.keepDims === true && !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameDims(a: readonly (number | string)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
