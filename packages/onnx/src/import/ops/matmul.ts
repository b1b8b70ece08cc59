import { broadcastDims, ShapeError } from "@polychip/hal";
import { isStatic } from "../../host/meta.ts";
import type { ImportContext } from "../context.ts";
import { dequantizedProduct } from "./matmul-dequantized.ts";
import { bin, input, optionalInput, output, scalarLike, type OpImporter } from "./helpers.ts";

/** The HAL op a numpy matmul ends in, given operands of one rank with equal batch dims. */
export type MatrixProduct = (ctx: ImportContext, a: string, b: string, out?: string) => string;

const plainProduct: MatrixProduct = (ctx, a, b, out) => ctx.op("matmul", [a, b], {}, out);

/**
 * numpy matmul on the HAL's matmul (equal ranks, equal batch dims): 1-D operands gain a dim that
 * is dropped again, a 2-D right operand meets a batched left one by folding the batch into rows,
 * and other batch dims are broadcast by expand.
 */
export function matmulOf(ctx: ImportContext, a0: string, b0: string, out?: string, product: MatrixProduct = plainProduct): string {
  const ra = ctx.rank(a0);
  const rb = ctx.rank(b0);
  if (ra === 0 || rb === 0) throw new ShapeError(`${ctx.where()}: MatMul operands must have rank ≥ 1`);
  const a = ra === 1 ? ctx.op("unsqueeze", [a0], { axes: [0] }) : a0;
  const b = rb === 1 ? ctx.op("unsqueeze", [b0], { axes: [1] }) : b0;
  const finish = (y: string) => {
    const drop = [...(ra === 1 ? [-2] : []), ...(rb === 1 ? [-1] : [])];
    if (drop.length === 0) {
      ctx.bind(out, y);
      return out ?? y;
    }
    const r = ctx.rank(y);
    return ctx.op("squeeze", [y], { axes: drop.map((d) => d + r) }, out);
  };
  const da = ctx.dims(a);
  const db = ctx.dims(b);
  if (da.length === 2 && db.length === 2) return finish(product(ctx, a, b, ra === 1 || rb === 1 ? undefined : out));
  if (db.length === 2) {
    // [..., M, K] @ [K, N]: rows of every batch at once.
    const k = da[da.length - 1]!;
    const n = db[1]!;
    if (typeof k !== "number") throw new ShapeError(`${ctx.where()}: MatMul needs a static inner dimension, got [${da}]`);
    const rows = ctx.op("reshape", [a], { shape: [-1, k] });
    const y = product(ctx, rows, b);
    const lead = da.slice(0, -1);
    const target = isStatic(lead) && typeof n === "number" ? ctx.op("reshape", [y], { shape: [...lead, n] }) : ctx.op("reshape", [y, outShape(ctx, a, b)]);
    return finish(target);
  }
  const batch = broadcastDims("MatMul", da.slice(0, -2), db.slice(0, -2));
  const full = (v: string, d: readonly (number | string)[]) => {
    const target = [...batch, ...d.slice(-2)];
    if (target.length === d.length && target.every((x, i) => x === d[i])) return v;
    if (!isStatic(target)) throw new ShapeError(`${ctx.where()}: broadcasting MatMul batch dims [${batch}] needs static shapes`);
    return ctx.op("expand", [v], { shape: target });
  };
  return finish(product(ctx, full(a, da), full(b, db), ra === 1 || rb === 1 ? undefined : out));
}

/** shape(a)[:-1] ++ shape(b)[-1:], computed at run time. */
function outShape(ctx: ImportContext, a: string, b: string): string {
  return ctx.op("concat", [ctx.op("shape", [a], { end: -1 }), ctx.op("shape", [b], { start: -1 })], { axis: 0 });
}

const matmul: OpImporter = (ctx, node) => {
  const [a, b] = [input(ctx, node, 0), input(ctx, node, 1)];
  const dequantized = dequantizedProduct(ctx, a, b);
  if (dequantized) matmulOf(ctx, a, dequantized.weight, output(node), dequantized.product);
  else matmulOf(ctx, a, b, output(node));
};

/** Gemm: alpha·A'·B' + beta·C with optional transposes and a broadcast C. */
const gemm: OpImporter = (ctx, node) => {
  const a = input(ctx, node, 0);
  const b = input(ctx, node, 1);
  const c = optionalInput(node, 2);
  if (ctx.rank(a) !== 2 || ctx.rank(b) !== 2) throw new ShapeError(`${ctx.where()}: A and B must be 2-D`);
  const alpha = node.attrs.float("alpha", 1);
  const beta = node.attrs.float("beta", 1);
  const attrs = { transposeA: node.attrs.int("transA", 0) === 1, transposeB: node.attrs.int("transB", 0) === 1 };
  const last = !c && alpha === 1;
  let y = ctx.op("matmul", [a, b], attrs, last ? output(node) : undefined);
  if (alpha !== 1) y = bin(ctx, "mul", y, scalarLike(ctx, alpha, y), c ? undefined : output(node));
  if (c) y = bin(ctx, "add", y, beta === 1 ? c : bin(ctx, "mul", c, scalarLike(ctx, beta, c)), output(node));
  ctx.bind(output(node), y);
};

export const MATMUL_IMPORTERS: Record<string, OpImporter> = {
  MatMul: matmul,
  Gemm: gemm,
};
