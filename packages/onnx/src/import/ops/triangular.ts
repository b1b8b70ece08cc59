import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { dtypeForOnnx } from "../../tensor.ts";
import { bin, castTo, input, optionalInput, output, type OpImporter } from "./helpers.ts";

/** col − row for every element of an [n, m] matrix: the diagonal each element lies on. */
function diagonalIndex(n: number, m: number): number[] {
  return Array.from({ length: n * m }, (_, i) => (i % m) - Math.floor(i / m));
}

/**
 * Trilu: the last two dims keep the elements on or above diagonal k (upper) or on or below it
 * (lower), zeros elsewhere. k may be a run-time input: the mask compares a constant of each
 * element's diagonal with it.
 */
const trilu: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.dims(x);
  if (dims.length < 2) throw new ShapeError(`${ctx.where()}: input must have rank 2 or more, got [${dims.join(", ")}]`);
  const [n, m] = dims.slice(-2);
  if (typeof n !== "number" || typeof m !== "number")
    throw new UnsupportedOpError(`${ctx.where()}: Trilu needs the last two dims of '${x}' known, got [${dims.join(", ")}]`);
  const kName = optionalInput(node, 1);
  const k = kName ? castTo(ctx, kName, "int32") : ctx.scalar(0, "int32");
  if (ctx.rank(k) !== 0 && ctx.shape(k, "Trilu's k").reduce((a, b) => a * b, 1) !== 1)
    throw new ShapeError(`${ctx.where()}: k must be a scalar, got shape [${ctx.dims(k).join(", ")}]`);
  const diagonal = ctx.const(diagonalIndex(n, m), [n, m], "int32");
  const upper = node.attrs.int("upper", 1) === 1;
  const keep = bin(ctx, upper ? "greaterEqual" : "lessEqual", diagonal, ctx.op("reshape", [k], { shape: [] }));
  ctx.op("where", [keep, x, ctx.scalar(0, ctx.dtype(x))], {}, output(node));
};

/** EyeLike: ones on diagonal k of a 2-D tensor shaped like the input, in `dtype` (default: the input's). */
const eyeLike: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.shape(x, "EyeLike");
  if (dims.length !== 2) throw new ShapeError(`${ctx.where()}: input must be 2-D, got [${dims.join(", ")}]`);
  const code = node.attrs.int("dtype");
  const dtype = code === undefined ? ctx.dtype(x) : dtypeForOnnx(code, `${ctx.where()} dtype`);
  const k = node.attrs.int("k", 0)!;
  const ones = diagonalIndex(dims[0]!, dims[1]!).map((d) => (d === k ? 1 : 0));
  ctx.bind(output(node), ctx.const(ones, dims, dtype));
};

export const TRIANGULAR_IMPORTERS: Readonly<Record<string, OpImporter>> = { Trilu: trilu, EyeLike: eyeLike };
