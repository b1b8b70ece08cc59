import { FUSIBLE_OPS, hasOp, type DType } from "@polychip/hal";
import { epilogueOf, type EpilogueSupport } from "../fusion/epilogue.ts";
import { isStructuralOp, type Graph, type ValueInfo } from "../ir.ts";

/** Structural ops that read only their input's shape, never its values. */
const SHAPE_READERS = new Set(["shape", "size"]);

export type Scalars = ReadonlyMap<string, { readonly value: number; readonly dtype: DType }>;

/** Whether a `const` step holds `value` exactly as a tensor of `dtype` would (the HAL's const rule). */
function constFits(value: number | undefined, dtype: DType): value is number {
  if (value === undefined || !Number.isFinite(value)) return false;
  if (dtype === "float32" || dtype === "float16") return true;
  const [lo, hi] = dtype === "bool" ? [0, 1] : dtype === "uint8" ? [0, 255] : dtype === "int8" ? [-128, 127] : [-2147483648, 2147483647];
  return Number.isInteger(value) && value >= lo && value <= hi;
}

/** Rank-0 initializers, `constant` and `fill` nodes with a value a `const` step holds exactly: inlined into programs. */
export function scalarConstants(graph: Graph): Map<string, { value: number; dtype: DType }> {
  const out = new Map<string, { value: number; dtype: DType }>();
  const note = (name: string, value: number | undefined, dtype: DType) => constFits(value, dtype) && out.set(name, { value, dtype });
  for (const init of graph.initializers) if (init.shape.length === 0) note(init.name, init.data[0], init.dtype);
  for (const node of graph.nodes) {
    const { value, shape, dtype } = node.attrs;
    if (!Array.isArray(shape) || shape.length !== 0) continue;
    const type = (dtype as DType | undefined) ?? "float32";
    if (node.op === "constant" && Array.isArray(value) && value.length === 1) note(node.outputs[0]!, value[0], type);
    if (node.op === "fill" && typeof value === "number") note(node.outputs[0]!, value, type);
  }
  return out;
}

/** For every value, the nodes that read it (-1: it is a graph output). */
export function readersOutside(graph: Graph): Map<string, number[]> {
  const readers = new Map<string, number[]>();
  const add = (v: string, r: number) => {
    const list = readers.get(v);
    if (list) list.push(r);
    else readers.set(v, [r]);
  };
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => v !== "" && add(v, i)));
  for (const o of graph.outputs) add(o.name, -1);
  return readers;
}

/** Node index → shape key, for the nodes a fused program may hold. */
export function fusibleNodes(graph: Graph, types: ReadonlyMap<string, ValueInfo>): Map<number, string> {
  // Values that shape computations read on the host (reshape targets, slice bounds) must stay plain nodes.
  const shapeValues = new Set<string>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (isStructuralOp(n.op)) n.inputs.slice(1).forEach((v) => v !== "" && shapeValues.add(v));
    if (n.outputs.some((o) => shapeValues.has(o)) && !SHAPE_READERS.has(n.op)) n.inputs.forEach((v) => v !== "" && shapeValues.add(v));
  }
  const out = new Map<number, string>();
  graph.nodes.forEach((n, i) => {
    if (isStructuralOp(n.op) || !hasOp(n.op) || !FUSIBLE_OPS.has(n.op) || n.outputs.length !== 1) return;
    const info = types.get(n.outputs[0]!);
    if (!info || shapeValues.has(info.name) || info.shape.some((d) => d === "?") || n.inputs.some((v) => v === "" || !types.has(v))) return;
    out.set(i, JSON.stringify(info.shape));
  });
  joinScalarsToTheirReader(graph, out);
  return out;
}

const SCALAR = JSON.stringify([]);

/**
 * A rank-0 node computed at run time (a dynamically quantised activation's scale times a weight's
 * scale) whose one reader is fusible at a larger shape takes that reader's key, so it joins the
 * reader's program as a step on scalar inputs (recomputed per element: a multiply) instead of
 * being a launch of its own. Chains of such nodes join back to front.
 */
function joinScalarsToTheirReader(graph: Graph, keys: Map<number, string>): void {
  const readers = readersOutside(graph);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    if (keys.get(i) !== SCALAR) continue;
    const users = [...new Set(readers.get(graph.nodes[i]!.outputs[0]!) ?? [])];
    const key = users.length === 1 && users[0]! >= 0 ? keys.get(users[0]!) : undefined;
    if (key !== undefined && key !== SCALAR) keys.set(i, key);
  }
}

/**
 * Node index → epilogue op, for the GEMMs (conv2d, matmul, conv2dGradInput) that may head a group
 * where the device has the epilogue kernel: their product is no graph output and is read by one
 * node, or by several elementwise nodes of its shape (a hard-swish reads it twice, x · relu6(x + 3) / 6),
 * which must then all join the group (epilogueNodes keeps the GEMM apart when one does not), so the
 * epilogue stores only what the program makes.
 */
export function epilogueHeads(
  graph: Graph,
  types: ReadonlyMap<string, ValueInfo>,
  supports: EpilogueSupport | undefined,
  fusible: ReadonlyMap<number, string>,
): Map<number, string> {
  const out = new Map<number, string>();
  if (!supports) return out;
  const readers = readersOutside(graph);
  graph.nodes.forEach((n, i) => {
    const info = n.outputs.length === 1 ? types.get(n.outputs[0]!) : undefined;
    const op = epilogueOf(n.op, info?.dtype, supports);
    if (!op || info!.shape.includes("?") || withoutTrailingGaps(n.inputs).includes("")) return;
    const users = [...new Set(readers.get(info!.name) ?? [])];
    const shape = JSON.stringify(info!.shape);
    if (users.length === 1 ? users[0]! >= 0 : users.length > 1 && users.every((u) => u >= 0 && fusible.get(u) === shape)) out.set(i, op);
  });
  return out;
}

/** A node's inputs without the empty names of optional inputs left out at the end. */
export function withoutTrailingGaps(inputs: readonly string[]): string[] {
  const out = [...inputs];
  while (out.at(-1) === "") out.pop();
  return out;
}
