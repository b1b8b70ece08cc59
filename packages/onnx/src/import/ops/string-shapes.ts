import { ShapeError } from "@polychip/hal";
import { stringTensor } from "../../strings.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { input, optionalInput, output, type OpImporter } from "./helpers.ts";

/**
 * Shape-only ops on STRING values (text pipelines reshape their string input): the strings stay
 * as they are on the host, in row-major order, under the new shape.
 */

function axesOf(ctx: ImportContext, node: OnnxNode, rank: number): number[] | undefined {
  const given = optionalInput(node, 1);
  const axes = given ? ctx.ints(given, "the axes") : node.attrs.ints("axes");
  return axes?.map((a) => {
    if (a < -rank || a >= rank) throw new ShapeError(`${ctx.where()}: axis ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  });
}

function reshaped(ctx: ImportContext, node: OnnxNode, shape: (dims: readonly number[]) => number[]): void {
  const x = ctx.stringValue(input(ctx, node, 0));
  const dims = shape(x.shape);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== x.data.length) throw new ShapeError(`${ctx.where()}: cannot hold ${x.data.length} strings in shape [${dims.join(", ")}]`);
  const out = output(node);
  if (out) ctx.declareString(out, stringTensor(dims, x.data));
}

const identity: OpImporter = (ctx, node) => reshaped(ctx, node, (d) => [...d]);

const reshape: OpImporter = (ctx, node) => {
  const target = ctx.ints(input(ctx, node, 1), "Reshape's target shape");
  const allowZero = node.attrs.int("allowzero", 0) !== 0;
  reshaped(ctx, node, (d) => {
    const dims = target.map((t, i) => (t === 0 && !allowZero ? d[i]! : t));
    const known = dims.filter((t) => t !== -1).reduce((a, b) => a * b, 1);
    const size = d.reduce((a, b) => a * b, 1);
    return dims.map((t) => (t === -1 ? (known === 0 ? 0 : size / known) : t));
  });
};

const flatten: OpImporter = (ctx, node) =>
  reshaped(ctx, node, (d) => {
    const axis = node.attrs.int("axis", 1);
    const at = axis < 0 ? axis + d.length : axis;
    const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    return [product(d.slice(0, at)), product(d.slice(at))];
  });

const squeeze: OpImporter = (ctx, node) =>
  reshaped(ctx, node, (d) => {
    const axes = axesOf(ctx, node, d.length) ?? d.flatMap((n, i) => (n === 1 ? [i] : []));
    for (const a of axes) if (d[a] !== 1) throw new ShapeError(`${ctx.where()}: axis ${a} has size ${d[a]}, not 1`);
    return d.filter((_, i) => !axes.includes(i));
  });

const unsqueeze: OpImporter = (ctx, node) =>
  reshaped(ctx, node, (d) => {
    const axes =
      axesOf(ctx, node, d.length + (optionalInput(node, 1) ? ctx.ints(optionalInput(node, 1)!, "the axes").length : (node.attrs.ints("axes") ?? []).length)) ??
      [];
    const dims = [...d];
    for (const a of [...axes].sort((p, q) => p - q)) dims.splice(a, 0, 1);
    return dims;
  });

/** The string forms of these shape ops, by op_type (index.ts routes STRING operands here). */
export const STRING_SHAPE_FORMS: Readonly<Record<string, OpImporter>> = {
  Identity: identity,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
};
