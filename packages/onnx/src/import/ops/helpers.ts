import { DTypeError, FormatError, isFloat, normalizeAxis, ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";

/** One ONNX operator's lowering onto HAL and structural ops. */
export type OpImporter = (ctx: ImportContext, node: OnnxNode) => void;

/** Input `i`, or undefined when absent ("" or past the end). */
export function optionalInput(node: OnnxNode, i: number): string | undefined {
  const name = node.inputs[i];
  return name ? name : undefined;
}

export function input(ctx: ImportContext, node: OnnxNode, i: number): string {
  const name = optionalInput(node, i);
  if (!name) throw new FormatError(`${ctx.where()}: required input #${i} is missing`);
  return name;
}

/** Output `i`'s name, or undefined when the model does not ask for it. */
export function output(node: OnnxNode, i = 0): string | undefined {
  const name = node.outputs[i];
  return name ? name : undefined;
}

/** `v` in `dtype` (no node when it already is). */
export function castTo(ctx: ImportContext, v: string, dtype: DType): string {
  return ctx.dtype(v) === dtype ? v : ctx.op("cast", [v], { to: dtype });
}

/** A scalar constant in the dtype of `like`. */
export function scalarLike(ctx: ImportContext, value: number, like: string): string {
  return ctx.scalar(value, ctx.dtype(like));
}

export function bin(ctx: ImportContext, op: string, a: string, b: string, out?: string): string {
  return ctx.op(op, [a, b], {}, out);
}

export function un(ctx: ImportContext, op: string, x: string, out?: string): string {
  return ctx.op(op, [x], {}, out);
}

export function requireFloatInput(ctx: ImportContext, v: string): void {
  if (!isFloat(ctx.dtype(v))) throw new DTypeError(`${ctx.where()}: expects a float tensor, got ${ctx.dtype(v)} '${v}'`);
}

export function axisOf(ctx: ImportContext, axis: number, rank: number): number {
  try {
    return normalizeAxis("axis", axis, rank);
  } catch {
    throw new ShapeError(`${ctx.where()}: axis ${axis} is out of range for rank ${rank}`);
  }
}

export function axesOf(ctx: ImportContext, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => axisOf(ctx, a, rank));
  if (new Set(out).size !== out.length) throw new ShapeError(`${ctx.where()}: axes [${axes.join(", ")}] repeat a dimension`);
  return out;
}

/**
 * `x` with `updates` written where `idx` points along `axis` (scatterAdd's indexing), for indices
 * whose targets are distinct (scatter-reduce.ts's scatterReplace checks, or the caller's indices
 * are distinct by construction): the updates are summed into zeros, and a second scatter of ones
 * marks which elements were hit. Two updates aimed at one element would be summed.
 */
export function scatterDistinct(ctx: ImportContext, x: string, idx: string, updates: string, axis: number, out?: string): string {
  const dtype = ctx.dtype(x) === "bool" ? "uint8" : ctx.dtype(x);
  const shape = ctx.shape(x, "a scatter");
  const hits = ctx.op(
    "scatterAdd",
    [ctx.op("fill", [], { shape, dtype: "int32", value: 0 }), idx, ctx.op("fill", [], { shape: ctx.shape(idx, "a scatter"), dtype: "int32", value: 1 })],
    { axis },
  );
  const written = ctx.op("scatterAdd", [ctx.op("fill", [], { shape, dtype, value: 0 }), idx, castTo(ctx, updates, dtype)], { axis });
  return ctx.op("where", [bin(ctx, "greater", hits, ctx.scalar(0, "int32")), castTo(ctx, written, ctx.dtype(x)), x], {}, out);
}

/** Refuses every attribute outside `known`: an attribute read by nobody would be a silent wrong answer. */
export function refuseUnknownAttributes(ctx: ImportContext, node: OnnxNode, known: readonly string[]): void {
  for (const name of node.attrs.names()) {
    if (!known.includes(name))
      throw new UnsupportedOpError(
        `${ctx.where()}: ${node.opType}'s attribute '${name}' is not supported (${known.length ? `it reads ${known.join(", ")}` : "it takes none"})`,
      );
  }
}
