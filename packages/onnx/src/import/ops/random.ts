import { DTypeError, isFloat, ShapeError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { dtypeForOnnx } from "../../tensor.ts";
import { input, output, type OpImporter } from "./helpers.ts";

/**
 * ONNX's random ops onto the HAL's counter-based generator. ONNX leaves the numbers to the
 * runtime (only the distribution is specified), so they never match onnxruntime's draws; models
 * that use them for noise (VITS text-to-speech) become deterministic when the noise is scaled by 0.
 * A `seed` attribute (a float) picks the stream by its float32 bits; without one a stream is
 * drawn when the model is imported, and that plan then repeats it on every run.
 */
export function seedOf(node: OnnxNode): number {
  const seed = node.attrs.float("seed");
  if (seed === undefined) return (Math.random() * 2 ** 32) >>> 0;
  return new Uint32Array(Float32Array.of(seed).buffer)[0]!;
}

function outputDtype(ctx: ImportContext, node: OnnxNode, fallback: DType): DType {
  const code = node.attrs.int("dtype");
  const dtype = code === undefined ? fallback : dtypeForOnnx(code, `${ctx.where()} dtype`);
  if (!isFloat(dtype)) throw new DTypeError(`${ctx.where()}: random values must be a float type, got ${dtype}`);
  return dtype;
}

function params(node: OnnxNode, kind: "normal" | "uniform"): Record<string, number> {
  const a = node.attrs;
  return kind === "normal" ? { mean: a.float("mean", 0), std: a.float("scale", 1) } : { low: a.float("low", 0), high: a.float("high", 1) };
}

const op = (kind: "normal" | "uniform") => (kind === "normal" ? "randomNormal" : "randomUniform");

/** RandomNormal / RandomUniform: the shape is an attribute. */
const fromAttribute =
  (kind: "normal" | "uniform"): OpImporter =>
  (ctx, node) => {
    const shape = node.attrs.ints("shape");
    if (!shape || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new ShapeError(`${ctx.where()}: needs a 'shape' attribute of sizes ≥ 0, got ${JSON.stringify(shape)}`);
    const dtype = outputDtype(ctx, node, "float32");
    ctx.op(op(kind), [], { shape, dtype, seed: seedOf(node), ...params(node, kind) }, output(node));
  };

/** RandomNormalLike / RandomUniformLike: the shape (and by default the dtype) of the input, whose values are not read. */
const like =
  (kind: "normal" | "uniform"): OpImporter =>
  (ctx, node) => {
    const x = input(ctx, node, 0);
    const shape = ctx.shape(x, `${node.opType}'s output shape`);
    const dtype = outputDtype(ctx, node, ctx.dtype(x));
    ctx.op(op(kind), [], { shape, dtype, seed: seedOf(node), ...params(node, kind) }, output(node));
  };

export const RANDOM_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  RandomNormal: fromAttribute("normal"),
  RandomUniform: fromAttribute("uniform"),
  RandomNormalLike: like("normal"),
  RandomUniformLike: like("uniform"),
};
