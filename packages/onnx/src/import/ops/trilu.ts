import { ShapeError } from "@polychip/hal";
import { input, optionalInput, output, scalarLike, type OpImporter } from "./helpers.ts";

/**
 * Trilu: the upper (col − row ≥ k) or lower (col − row ≤ k) triangle of the last two dims, zeros
 * elsewhere, as a `where` over a constant [N, M] mask that broadcasts over the batch dims.
 * Decoders build their causal mask with it; N and M are bound per input shape by OnnxSession.
 */
const trilu: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const shape = ctx.shape(x, "Trilu");
  if (shape.length < 2) throw new ShapeError(`${ctx.where()}: Trilu needs a tensor of rank ≥ 2, got [${shape.join(", ")}]`);
  const kInput = optionalInput(node, 1);
  const kValues = kInput ? ctx.ints(kInput, "Trilu's k") : [0];
  if (kValues.length !== 1) throw new ShapeError(`${ctx.where()}: k must hold one value, got ${kValues.length}`);
  const k = kValues[0]!;
  const upper = node.attrs.int("upper", 1) === 1;
  const [n, m] = shape.slice(-2) as [number, number];
  const keep = Uint8Array.from({ length: n * m }, (_, i) => {
    const diagonal = (i % m) - Math.floor(i / m);
    return (upper ? diagonal >= k : diagonal <= k) ? 1 : 0;
  });
  const mask = ctx.const(keep, [n, m], "bool");
  ctx.op("where", [mask, x, scalarLike(ctx, 0, x)], {}, output(node));
};

export const TRILU_IMPORTERS: Readonly<Record<string, OpImporter>> = { Trilu: trilu };
