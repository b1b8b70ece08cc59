import { ShapeError } from "@polychip/hal";
import { input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { rotate } from "./rotary.ts";

/**
 * ai.onnx RotaryEmbedding (opset 23) on com.microsoft's rotation (`rotary.ts`): input
 * [B, heads, S, head] or [B, S, heads·head] (num_heads given), caches [max_position, rotary/2]
 * indexed by position_ids [B, S], or without position_ids caches [B, S, rotary/2] already per
 * token (read as one flat table indexed by b·S + s).
 */
const rotaryEmbedding: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.shape(x, "RotaryEmbedding");
  let cos = input(ctx, node, 1);
  let sin = input(ctx, node, 2);
  const positionIds = optionalInput(node, 3);
  const interleaved = node.attrs.int("interleaved", 0) === 1;
  let tokens: string;
  let batch: number;
  let seq: number;
  if (dims.length === 4) {
    [batch, , seq] = dims as [number, number, number, number];
    tokens = ctx.op("permute", [x], { dims: [0, 2, 1, 3] });
  } else if (dims.length === 3) {
    const heads = node.attrs.int("num_heads", 0)!;
    if (!(heads > 0) || dims[2]! % heads !== 0)
      throw new ShapeError(`${ctx.where()}: a 3-D input [${dims.join(", ")}] needs num_heads dividing its last dim, got ${heads}`);
    [batch, seq] = dims as [number, number, number];
    tokens = ctx.op("reshape", [x], { shape: [batch, seq, heads, dims[2]! / heads] });
  } else throw new ShapeError(`${ctx.where()}: input must be 3-D or 4-D, got [${dims.join(", ")}]`);
  const headSize = ctx.shape(tokens)[3]!;
  const rotary = node.attrs.int("rotary_embedding_dim", 0) || headSize;
  if (rotary % 2 !== 0 || rotary > headSize)
    throw new ShapeError(`${ctx.where()}: rotary_embedding_dim ${rotary} must be even and at most the head size ${headSize}`);
  let positions: string;
  if (positionIds) positions = positionIds;
  else {
    const perToken = ctx.shape(cos, "RotaryEmbedding's cos_cache");
    if (perToken.length !== 3 || perToken[0] !== batch || perToken[1] !== seq)
      throw new ShapeError(`${ctx.where()}: without position_ids the caches must be [${batch}, ${seq}, ${rotary / 2}], got [${perToken.join(", ")}]`);
    [cos, sin] = [cos, sin].map((c) => ctx.op("reshape", [c], { shape: [batch * seq, perToken[2]!] })) as [string, string];
    positions = ctx.const(
      Array.from({ length: batch * seq }, (_, i) => i),
      [batch, seq],
      "int32",
    );
  }
  const half = ctx.shape(cos, "RotaryEmbedding's cos_cache").at(-1);
  if (half !== rotary / 2) throw new ShapeError(`${ctx.where()}: the caches' last dim ${half} must be rotary_embedding_dim / 2 = ${rotary / 2}`);
  const rotated = rotate(ctx, tokens, positions, { cos, sin }, rotary, interleaved);
  if (dims.length === 4) ctx.op("permute", [rotated], { dims: [0, 2, 1, 3] }, output(node));
  else ctx.op("reshape", [rotated], { shape: dims }, output(node));
};

export const ROTARY_EMBEDDING_IMPORTERS: Readonly<Record<string, OpImporter>> = { RotaryEmbedding: rotaryEmbedding };
