import { ShapeError } from "@polychip/hal";
import { bin, castTo, input, output, type OpImporter } from "./helpers.ts";

/**
 * ReverseSequence: along the time axis, each batch entry's first sequence_lens[b] steps in
 * reverse order, the rest as they are. A gatherElements reads step t from len−1−t (t < len) or t;
 * the lengths may be a run-time input.
 */
const reverseSequence: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.shape(x, "ReverseSequence");
  const timeAxis = node.attrs.int("time_axis", 0)!;
  const batchAxis = node.attrs.int("batch_axis", 1)!;
  if (dims.length < 2 || ![timeAxis, batchAxis].every((a) => a === 0 || a === 1) || timeAxis === batchAxis)
    throw new ShapeError(
      `${ctx.where()}: time_axis ${timeAxis} and batch_axis ${batchAxis} must be 0 and 1 of an input of rank 2 or more, got [${dims.join(", ")}]`,
    );
  const [steps, batch] = [dims[timeAxis]!, dims[batchAxis]!];
  const lens = castTo(ctx, input(ctx, node, 1), "int32");
  const lensDims = ctx.shape(lens, "ReverseSequence's sequence_lens");
  if (lensDims.length !== 1 || lensDims[0] !== batch) throw new ShapeError(`${ctx.where()}: sequence_lens must be [${batch}], got [${lensDims.join(", ")}]`);
  // [T, B] (or [B, T]) grids of the step and of each entry's length.
  const grid = (a: number) => dims.slice(0, 2).map((d, i) => (i === a ? d : 1));
  const t = ctx.const(
    Array.from({ length: steps }, (_, i) => i),
    grid(timeAxis),
    "int32",
  );
  const len = ctx.op("reshape", [lens], { shape: grid(batchAxis) });
  const reversed = bin(ctx, "sub", bin(ctx, "sub", len, ctx.scalar(1, "int32")), t);
  const source = ctx.op("where", [bin(ctx, "less", t, len), reversed, t]);
  const index = ctx.op("expand", [ctx.op("reshape", [source], { shape: [...ctx.shape(source), ...dims.slice(2).map(() => 1)] })], { shape: dims });
  ctx.op("gatherElements", [x, index], { axis: timeAxis }, output(node));
};

export const REVERSE_SEQUENCE_IMPORTERS: Readonly<Record<string, OpImporter>> = { ReverseSequence: reverseSequence };
