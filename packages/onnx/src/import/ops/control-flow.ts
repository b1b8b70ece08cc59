import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { GraphProto } from "../../proto/types.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { importIfAsSelect } from "./if-select.ts";
import { axisOf, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { scan8 } from "./scan8.ts";

/**
 * Control flow, lowered at import: If inlines the branch its condition picks (a condition known
 * at import time folds; one computed from data is computed per run by OnnxSession, which then
 * imports with it known, unless both branches are small and total: then both run and a `where`
 * picks, see if-select.ts); Loop and Scan unroll their body once per iteration, which needs the
 * trip count, the continue conditions and the sequence length at import time (the patterns
 * exporters emit: counts from shapes or constants).
 */

/** Unrolling beyond this many iterations would bloat the graph: refused instead. */
export const MAX_UNROLLED_ITERATIONS = 4096;

function body(ctx: ImportContext, node: OnnxNode, name: string): GraphProto {
  const g = node.attrs.graph(name);
  if (!g) throw new FormatError(`${ctx.where()}: missing graph attribute '${name}'`);
  return g;
}

/** Formal input names of a body, which must have `count` of them. */
function formalInputs(ctx: ImportContext, g: GraphProto, count: number, what: string): string[] {
  const names = (g.input ?? []).map((v) => v.name ?? "");
  if (names.length !== count) throw new FormatError(`${ctx.where()}: ${what} body has ${names.length} inputs, expected ${count}`);
  return names;
}

const ifOp: OpImporter = (ctx, node) => {
  const condition = input(ctx, node, 0);
  if (!ctx.isConstant(condition)) {
    const selected = importIfAsSelect(ctx, condition, [body(ctx, node, "then_branch"), body(ctx, node, "else_branch")], node.outputs.length);
    if (selected) return node.outputs.forEach((o, i) => ctx.bind(o || undefined, selected[i]!));
  }
  const cond = ctx.requireConstant(condition, "If's condition");
  if (cond.data.length !== 1) throw new ShapeError(`${ctx.where()}: the condition must hold one value, got shape [${cond.shape.join(", ")}]`);
  const taken = body(ctx, node, cond.data[0] ? "then_branch" : "else_branch");
  const values = ctx.inlineSubgraph(taken, new Map());
  if (values.length !== node.outputs.length) throw new FormatError(`${ctx.where()}: the branch has ${values.length} outputs, the node ${node.outputs.length}`);
  node.outputs.forEach((o, i) => ctx.bind(o || undefined, values[i]!));
};

/** Stacks per-iteration values along a new axis (Loop's scan outputs: axis 0). */
function stack(ctx: ImportContext, parts: readonly string[], axis: number, out: string | undefined, what: string): void {
  if (parts.length === 0) throw new UnsupportedOpError(`${ctx.where()}: ${what} of zero iterations has no known shape`);
  const rank = ctx.rank(parts[0]!) + 1;
  const a = axisOf(ctx, axis, rank);
  const expanded = parts.map((p) => ctx.op("unsqueeze", [p], { axes: [a] }));
  if (expanded.length === 1) ctx.bind(out, expanded[0]!);
  else ctx.op("concat", expanded, { axis: a }, out);
}

const loop: OpImporter = (ctx, node) => {
  const g = body(ctx, node, "body");
  const tripName = optionalInput(node, 0);
  const condName = optionalInput(node, 1);
  const trips = tripName ? Number(ctx.requireConstant(tripName, "Loop's trip count").data[0]) : Infinity;
  let keepGoing = condName ? Boolean(ctx.requireConstant(condName, "Loop's initial condition").data[0]) : true;
  let carried = node.inputs.slice(2);
  const formal = formalInputs(ctx, g, 2 + carried.length, "Loop");
  const scanCount = (g.output?.length ?? 0) - 1 - carried.length;
  if (scanCount < 0) throw new FormatError(`${ctx.where()}: the body has ${g.output?.length ?? 0} outputs for ${carried.length} loop-carried values`);
  const scans: string[][] = Array.from({ length: scanCount }, () => []);
  for (let i = 0; i < trips && keepGoing; i++) {
    if (i >= MAX_UNROLLED_ITERATIONS) throw new UnsupportedOpError(`${ctx.where()}: more than ${MAX_UNROLLED_ITERATIONS} iterations cannot be unrolled`);
    const bindings = new Map<string, string>([
      [formal[0]!, ctx.const([i], [], "int32")],
      [formal[1]!, ctx.const([1], [], "bool")],
    ]);
    carried.forEach((v, k) => bindings.set(formal[2 + k]!, v));
    const outs = ctx.inlineSubgraph(g, bindings);
    keepGoing = Boolean(ctx.requireConstant(outs[0]!, "Loop's continue condition").data[0]);
    carried = outs.slice(1, 1 + carried.length);
    outs.slice(1 + carried.length).forEach((v, k) => scans[k]!.push(v));
  }
  carried.forEach((v, k) => ctx.bind(output(node, k), v));
  const ranZero = scans.length > 0 && scans[0]!.length === 0;
  const empties = ranZero && scans.some((_, k) => output(node, carried.length + k)) ? emptyScanOutputs(ctx, g, formal, carried) : undefined;
  scans.forEach((parts, k) => {
    const out = output(node, carried.length + k);
    if (out && empties) ctx.bind(out, empties[k]!);
    else if (out) stack(ctx, parts, 0, out, "a scan output");
  });
};

/**
 * A Loop that ran zero times still has scan outputs: empty along axis 0, each shaped as one
 * iteration's value would be (onnxruntime gives [0, ...]). The body is inlined once with the
 * initial values only to learn those shapes; nothing reads its nodes, so they are pruned.
 */
function emptyScanOutputs(ctx: ImportContext, g: GraphProto, formal: readonly string[], carried: readonly string[]): string[] {
  const bindings = new Map<string, string>([
    [formal[0]!, ctx.const([0], [], "int32")],
    [formal[1]!, ctx.const([1], [], "bool")],
  ]);
  carried.forEach((v, k) => bindings.set(formal[2 + k]!, v));
  const outs = ctx.inlineSubgraph(g, bindings).slice(1 + carried.length);
  return outs.map((v) => {
    const shape = [0, ...ctx.shape(v, "the shape of a Loop's scan output when it runs zero times")];
    return ctx.const([], shape, ctx.dtype(v));
  });
}

const scan: OpImporter = (ctx, node) => {
  if (node.opset < 9) return scan8(ctx, node, MAX_UNROLLED_ITERATIONS);
  const g = body(ctx, node, "body");
  const scanInputs = node.attrs.int("num_scan_inputs");
  if (scanInputs === undefined || scanInputs < 1 || scanInputs > node.inputs.length)
    throw new FormatError(`${ctx.where()}: invalid num_scan_inputs ${scanInputs}`);
  const stateCount = node.inputs.length - scanInputs;
  const formal = formalInputs(ctx, g, node.inputs.length, "Scan");
  const sequences = node.inputs.slice(stateCount).map((n) => n);
  const inAxes = node.attrs.ints("scan_input_axes") ?? sequences.map(() => 0);
  const inReversed = node.attrs.ints("scan_input_directions") ?? sequences.map(() => 0);
  const outCount = (g.output?.length ?? 0) - stateCount;
  const outAxes = node.attrs.ints("scan_output_axes") ?? Array.from({ length: outCount }, () => 0);
  const outReversed = node.attrs.ints("scan_output_directions") ?? Array.from({ length: outCount }, () => 0);
  const axes = sequences.map((s, j) => axisOf(ctx, inAxes[j] ?? 0, ctx.rank(s)));
  const lengths = sequences.map((s, j) => ctx.shape(s, "Scan's sequence length")[axes[j]!]!);
  if (lengths.some((l) => l !== lengths[0])) throw new ShapeError(`${ctx.where()}: scan inputs have different lengths ${lengths.join(", ")}`);
  const length = lengths[0]!;
  if (length > MAX_UNROLLED_ITERATIONS)
    throw new UnsupportedOpError(`${ctx.where()}: a sequence of ${length} cannot be unrolled (at most ${MAX_UNROLLED_ITERATIONS})`);
  let states = node.inputs.slice(0, stateCount);
  const elements: string[][] = Array.from({ length: outCount }, () => []);
  for (let t = 0; t < length; t++) {
    const bindings = new Map<string, string>();
    states.forEach((v, k) => bindings.set(formal[k]!, v));
    sequences.forEach((s, j) => {
      const at = inReversed[j] ? length - 1 - t : t;
      const step = ctx.op("slice", [s], { starts: [at], ends: [at + 1], axes: [axes[j]!] });
      bindings.set(formal[stateCount + j]!, ctx.op("squeeze", [step], { axes: [axes[j]!] }));
    });
    const outs = ctx.inlineSubgraph(g, bindings);
    states = outs.slice(0, stateCount);
    outs.slice(stateCount).forEach((v, k) => elements[k]!.push(v));
  }
  states.forEach((v, k) => ctx.bind(output(node, k), v));
  elements.forEach((parts, k) => {
    const out = output(node, stateCount + k);
    if (out) stack(ctx, outReversed[k] ? [...parts].reverse() : parts, outAxes[k] ?? 0, out, "a scan output");
  });
};

export const CONTROL_FLOW_IMPORTERS: Record<string, OpImporter> = { If: ifOp, Loop: loop, Scan: scan };
