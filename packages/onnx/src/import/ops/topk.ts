import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { axisOf, bin, input, output, type OpImporter } from "./helpers.ts";

/** Largest k Polychip unrolls: TopK becomes k arg-reductions (the HAL has no sort). */
const MAX_K = 256;

/**
 * TopK as k rounds of argMax (argMin for smallest): each round takes the first extreme that is
 * left, which gives ONNX's order (ties: lower index first), then masks it out.
 */
const topK: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.dims(x);
  const axis = axisOf(ctx, node.attrs.int("axis", -1), dims.length);
  const k = node.opset >= 10 ? ctx.ints(input(ctx, node, 1), "TopK's k")[0] : node.attrs.int("k");
  const n = dims[axis];
  if (k === undefined || !Number.isInteger(k) || k < 0) throw new ShapeError(`${ctx.where()}: invalid k ${k}`);
  if (typeof n !== "number") throw new UnsupportedOpError(`${ctx.where()}: TopK along a run-time dim`);
  if (n > 1 << 24) throw new ShapeError(`${ctx.where()}: TopK along a dim of ${n} elements is more than Polychip unrolls`);
  if (k > n) throw new ShapeError(`${ctx.where()}: k = ${k} exceeds dim ${axis} of size ${n}`);
  if (k > MAX_K) throw new UnsupportedOpError(`${ctx.where()}: k = ${k} is larger than ${MAX_K}, the most Polychip unrolls`);
  const largest = node.attrs.int("largest", 1) === 1;
  const dtype = ctx.dtype(x);
  const sentinel = dtype === "float32" || dtype === "float16" ? (largest ? -Infinity : Infinity) : largest ? -(2 ** 31) : 2 ** 31 - 1;
  const iotaShape = dims.map((_, i) => (i === axis ? n : 1));
  const iota = ctx.const(
    Int32Array.from({ length: n }, (_, i) => i),
    iotaShape,
    "int32",
  );
  const masked = ctx.scalar(sentinel, dtype);
  const values: string[] = [];
  const indices: string[] = [];
  let rest = x;
  for (let i = 0; i < k; i++) {
    const idx = ctx.op(largest ? "argMax" : "argMin", [rest], { axis, keepDims: true });
    indices.push(idx);
    values.push(ctx.op("gatherElements", [x, idx], { axis }));
    if (i < k - 1) rest = ctx.op("where", [bin(ctx, "equal", iota, idx), masked, rest]);
  }
  const join = (parts: string[], out: string | undefined) => {
    if (parts.length === 0) return ctx.op("slice", [x], { starts: [0], ends: [0], axes: [axis] }, out);
    return parts.length === 1 ? ctx.op("identity", [parts[0]!], {}, out) : ctx.op("concat", parts, { axis }, out);
  };
  if (output(node, 0)) join(values, output(node, 0));
  if (output(node, 1)) {
    if (indices.length === 0) ctx.op("cast", [join(values, undefined)], { to: "int32" }, output(node, 1));
    else join(indices, output(node, 1));
  }
};

export const TOPK_IMPORTERS: Record<string, OpImporter> = {
  TopK: topK,
};
