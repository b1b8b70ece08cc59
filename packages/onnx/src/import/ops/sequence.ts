import { DTypeError, FormatError, ShapeError, type DType } from "@polychip/hal";
import { dtypeForOnnx } from "../../tensor.ts";
import type { Container, ImportContext, OnnxNode } from "../context.ts";
import { axisOf, input, optionalInput, output, type OpImporter } from "./helpers.ts";

/**
 * Sequence ops, lowered at import: a sequence is the list of its tensors' value names, so its
 * length is known when the model is planned. Ops that pick, insert or erase by a position read it
 * at import (a constant, or computed per run by OnnxSession, which plans per value); the tensors
 * themselves stay run-time values. SplitToSequence slices, ConcatFromSequence concatenates or
 * stacks, SequenceMap inlines its body once per element (as Loop unrolls).
 */

type Sequence = Extract<Container, { kind: "sequence" }>;

/** The sequence `name` holds (an error naming it when it holds a tensor or an optional). */
export function sequenceOf(ctx: ImportContext, name: string): Sequence {
  const c = ctx.container(name);
  if (c?.kind === "sequence") return c;
  throw new FormatError(`${ctx.where()}: '${name}' is ${c ? "an optional" : "a tensor"}, where a sequence is expected`);
}

function declareSequence(ctx: ImportContext, out: string | undefined, elements: readonly string[], dtype: DType | undefined): void {
  if (out) ctx.declareContainer(out, { kind: "sequence", elements, ...(dtype ? { dtype } : {}) });
}

/** Checks that tensor `t` may join a sequence of `dtype` elements; returns the sequence's dtype. */
function joined(ctx: ImportContext, dtype: DType | undefined, t: string): DType {
  const d = ctx.dtype(t);
  if (dtype && d !== dtype) throw new DTypeError(`${ctx.where()}: tensor '${t}' is ${d}, but the sequence holds ${dtype} tensors`);
  return d;
}

/**
 * The position input `i` (a scalar, negative counting from the back) as an index into a sequence
 * of `length`; an insertion may also name the end. Read at import: constant, or per run.
 */
function position(ctx: ImportContext, node: OnnxNode, i: number, length: number, insertion: boolean): number | undefined {
  const name = optionalInput(node, i);
  if (!name) return undefined;
  const t = ctx.requireConstant(name, `${node.opType}'s position`);
  if (t.data.length !== 1) throw new ShapeError(`${ctx.where()}: the position must be a scalar, got shape [${t.shape.join(", ")}]`);
  const p = Number(t.data[0]);
  const last = insertion ? length : length - 1;
  if (p < -length || p > last) throw new ShapeError(`${ctx.where()}: position ${p} is out of range for a sequence of ${length} (valid: ${-length} to ${last})`);
  return p < 0 ? p + length : p;
}

const sequenceEmpty: OpImporter = (ctx, node) => {
  declareSequence(ctx, output(node), [], dtypeForOnnx(node.attrs.int("dtype", 1), ctx.where()));
};

const sequenceConstruct: OpImporter = (ctx, node) => {
  if (node.inputs.length === 0) throw new FormatError(`${ctx.where()}: SequenceConstruct needs at least one tensor`);
  const dtype = node.inputs.reduce<DType | undefined>((d, t) => joined(ctx, d, t), undefined);
  declareSequence(ctx, output(node), node.inputs, dtype);
};

const sequenceAt: OpImporter = (ctx, node) => {
  const seq = sequenceOf(ctx, input(ctx, node, 0));
  if (!optionalInput(node, 1)) throw new FormatError(`${ctx.where()}: required input #1 (position) is missing`);
  ctx.bind(output(node), seq.elements[position(ctx, node, 1, seq.elements.length, false)!]!);
};

const sequenceInsert: OpImporter = (ctx, node) => {
  const seq = sequenceOf(ctx, input(ctx, node, 0));
  const tensor = input(ctx, node, 1);
  const dtype = joined(ctx, seq.dtype, tensor);
  const at = position(ctx, node, 2, seq.elements.length, true) ?? seq.elements.length;
  declareSequence(ctx, output(node), [...seq.elements.slice(0, at), tensor, ...seq.elements.slice(at)], dtype);
};

const sequenceErase: OpImporter = (ctx, node) => {
  const seq = sequenceOf(ctx, input(ctx, node, 0));
  if (seq.elements.length === 0) throw new ShapeError(`${ctx.where()}: cannot erase from an empty sequence`);
  const at = position(ctx, node, 1, seq.elements.length, false) ?? seq.elements.length - 1;
  declareSequence(ctx, output(node), [...seq.elements.slice(0, at), ...seq.elements.slice(at + 1)], seq.dtype);
};

const sequenceLength: OpImporter = (ctx, node) => {
  ctx.bind(output(node), ctx.const([sequenceOf(ctx, input(ctx, node, 0)).elements.length], [], "int32"));
};

/** The sizes SplitToSequence cuts `size` into: one each (no split), equal chunks with a smaller last one (a scalar), or listed. */
function splitSizes(ctx: ImportContext, node: OnnxNode, size: number): number[] {
  const name = optionalInput(node, 1);
  if (!name) return Array.from({ length: size }, () => 1);
  const split = ctx.requireConstant(name, "SplitToSequence's split");
  const values = Array.from(split.data as ArrayLike<number>, Number);
  if (split.shape.length === 0) {
    const chunk = values[0]!;
    if (!(chunk > 0)) throw new ShapeError(`${ctx.where()}: the split size must be positive, got ${chunk}`);
    return Array.from({ length: Math.ceil(size / chunk) }, (_, i) => Math.min(chunk, size - i * chunk));
  }
  if (split.shape.length !== 1) throw new ShapeError(`${ctx.where()}: split must be a scalar or 1-D, got shape [${split.shape.join(", ")}]`);
  const total = values.reduce((a, b) => a + b, 0);
  if (values.some((v) => v < 0) || total !== size)
    throw new ShapeError(`${ctx.where()}: split [${values.join(", ")}] does not cut an axis of ${size} (sizes must be non-negative and sum to it)`);
  return values;
}

const splitToSequence: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const axis = axisOf(ctx, node.attrs.int("axis", 0), rank);
  const size = ctx.shape(x, "SplitToSequence")[axis]!;
  const sizes = splitSizes(ctx, node, size);
  // keepdims=0 drops the axis with no split or a scalar one, as onnxruntime does (PyTorch's unbind exports a scalar 1); a 1-D split ignores it.
  const split = optionalInput(node, 1);
  const squeeze = node.attrs.int("keepdims", 1) === 0 && (!split || ctx.rank(split) === 0);
  if (squeeze && sizes.some((n) => n !== 1))
    throw new ShapeError(
      `${ctx.where()}: keepdims=0 drops the split axis, so each piece must have size 1, but the split makes pieces of [${sizes.join(", ")}]`,
    );
  let start = 0;
  const elements = sizes.map((n) => {
    const part = ctx.op("slice", [x], { starts: [start], ends: [(start += n)], axes: [axis] });
    return squeeze ? ctx.op("squeeze", [part], { axes: [axis] }) : part;
  });
  declareSequence(ctx, output(node), elements, ctx.dtype(x));
};

const concatFromSequence: OpImporter = (ctx, node) => {
  const seq = sequenceOf(ctx, input(ctx, node, 0));
  if (seq.elements.length === 0) throw new ShapeError(`${ctx.where()}: cannot concatenate an empty sequence (its result has no known shape)`);
  const stacked = node.attrs.int("new_axis", 0) === 1;
  const rank = ctx.rank(seq.elements[0]!);
  const axis = axisOf(ctx, node.attrs.int("axis", 0), stacked ? rank + 1 : rank);
  const parts = stacked ? seq.elements.map((e) => ctx.op("unsqueeze", [e], { axes: [axis] })) : seq.elements;
  if (parts.length === 1) ctx.bind(output(node), parts[0]!);
  else ctx.op("concat", parts, { axis }, output(node));
};

/**
 * SequenceMap: the body runs once per element of the first input; an additional input that is a
 * sequence (of the same length) gives its element at the same position, a tensor is read whole.
 */
const sequenceMap: OpImporter = (ctx, node) => {
  const body = node.attrs.graph("body");
  if (!body) throw new FormatError(`${ctx.where()}: missing graph attribute 'body'`);
  const formal = (body.input ?? []).map((v) => v.name ?? "");
  if (formal.length !== node.inputs.length) throw new FormatError(`${ctx.where()}: the body has ${formal.length} inputs, the node ${node.inputs.length}`);
  const length = sequenceOf(ctx, input(ctx, node, 0)).elements.length;
  const inputs = node.inputs.map((name) => ({ name, seq: ctx.container(name) ? sequenceOf(ctx, name) : undefined }));
  for (const { name, seq } of inputs)
    if (seq && seq.elements.length !== length)
      throw new ShapeError(`${ctx.where()}: sequence '${name}' has ${seq.elements.length} elements, the first input ${length}`);
  const results: string[][] = node.outputs.map(() => []);
  for (let i = 0; i < length; i++) {
    const bindings = new Map(inputs.map(({ name, seq }, k) => [formal[k]!, seq ? seq.elements[i]! : name]));
    const outs = ctx.inlineSubgraph(body, bindings);
    if (outs.length !== node.outputs.length) throw new FormatError(`${ctx.where()}: the body has ${outs.length} outputs, the node ${node.outputs.length}`);
    outs.forEach((o, k) => results[k]!.push(o));
  }
  node.outputs.forEach((out, k) => {
    const elemType = body.output?.[k]?.type?.tensorType?.elemType;
    const dtype = results[k]![0] ? ctx.dtype(results[k]![0]!) : elemType ? dtypeForOnnx(elemType, ctx.where()) : undefined;
    declareSequence(ctx, out || undefined, results[k]!, dtype);
  });
};

export const SEQUENCE_IMPORTERS: Record<string, OpImporter> = {
  SequenceEmpty: sequenceEmpty,
  SequenceConstruct: sequenceConstruct,
  SequenceAt: sequenceAt,
  SequenceInsert: sequenceInsert,
  SequenceErase: sequenceErase,
  SequenceLength: sequenceLength,
  SplitToSequence: splitToSequence,
  ConcatFromSequence: concatFromSequence,
  SequenceMap: sequenceMap,
};
