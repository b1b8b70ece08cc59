import { isHeldFloat } from "../low-precision.ts";
import type { ImportContext, OnnxNode } from "./context.ts";
import { castToLowPrecision } from "./ops/low-precision-cast.ts";

/**
 * Keeps the ONNX element type of every value the importer declares, for the types the HAL
 * dtype hides (bfloat16, float8, float4 and e8m0 held in float32; 4- and 2-bit ints in int8/uint8).
 * An op whose ONNX output is such a float computes in float32; its result is then rounded onto
 * the type's grid, so a value that claims bfloat16 holds a bfloat16 value (never float32 precision).
 */

/** Ops whose lowerings record their outputs' types themselves (their output type is an attribute or another input's). */
const SETS_OWN_TYPES = new Set(["Cast", "CastLike", "QuantizeLinear", "Constant"]);

/**
 * Ops whose outputs are values of their inputs rearranged or selected (or their sign flipped): a
 * value on the grid stays on it, so no rounding is needed.
 */
const KEEPS_VALUES = new Set([
  "Identity",
  "Reshape",
  "Transpose",
  "Squeeze",
  "Unsqueeze",
  "Flatten",
  "Concat",
  "Split",
  "Slice",
  "Gather",
  "GatherElements",
  "GatherND",
  "Expand",
  "Tile",
  "Where",
  "Max",
  "Min",
  "Abs",
  "Neg",
  "Relu",
  "ReduceMax",
  "ReduceMin",
  "MaxPool",
  "GlobalMaxPool",
  "TopK",
  "DepthToSpace",
  "SpaceToDepth",
  "Compress",
  "ReverseSequence",
]);

/** The ONNX type of output `name` of `node`: declared by the model, else that of the input it follows. */
function outputType(ctx: ImportContext, node: OnnxNode, name: string): number | undefined {
  const declared = ctx.declaredTypes.get(name);
  if (declared !== undefined) return declared;
  // DequantizeLinear's output has its scale's type; other ops the first typed float input's.
  const sources = node.opType === "DequantizeLinear" ? [node.inputs[1]] : node.inputs;
  for (const input of sources) {
    const t = input ? ctx.declaredTypes.get(input) : undefined;
    if (t !== undefined && isHeldFloat(t)) return t;
  }
  return undefined;
}

/** Lowers `node` with `lower`, rounding outputs whose ONNX type is a held low-precision float, and records their types. */
export function lowerKeepingElementTypes(ctx: ImportContext, node: OnnxNode, lower: (node: OnnxNode) => void): void {
  if (SETS_OWN_TYPES.has(node.opType)) return lower(node);
  const types = node.outputs.map((o) => (o ? outputType(ctx, node, o) : undefined));
  const rounds = types.map((t) => t !== undefined && isHeldFloat(t) && !KEEPS_VALUES.has(node.opType));
  const temps = node.outputs.map((o, i) => (rounds[i] ? ctx.fresh(o) : o));
  lower(rounds.some(Boolean) ? { ...node, outputs: temps } : node);
  node.outputs.forEach((o, i) => {
    const t = types[i];
    const temp = temps[i]!;
    if (!o || t === undefined || !ctx.has(temp) || ctx.isString(temp)) return;
    // An output that is not float32 (Shape's, ArgMax's) is not of its input's held float type.
    const held = ctx.dtype(temp) === "float32";
    if (held) ctx.declaredTypes.set(o, t);
    if (!rounds[i]) return;
    // Arithmetic results round to nearest even and overflow to ±Inf / NaN, as IEEE (and ml_dtypes) do.
    if (held) castToLowPrecision(ctx, temp, t, { saturate: false, roundMode: "nearest" }, o);
    else ctx.bind(o, temp);
  });
}
