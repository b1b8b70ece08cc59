import { DTypeError, FormatError, hostArray, ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import { stringTensor, stringTensorFromProto } from "../../strings.ts";
import { dtypeForOnnx, tensorValues } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { input, output, type OpImporter } from "./helpers.ts";
import { ML_ENCODER_IMPORTERS } from "./ml-encoders.ts";

/**
 * The ai.onnx.ml encoders' string forms (LabelEncoder with string keys or values, CategoryMapper).
 * Strings are host values known at import (strings.ts), so the lookup runs on the host: a string
 * result stays there, a numeric one (an id) becomes a constant the device reads.
 */

/** One side of a lookup: strings, or numbers held in `dtype`. */
type Column = StringColumn | NumberColumn;
type StringColumn = { readonly strings: readonly string[] };
type NumberColumn = { readonly numbers: readonly number[]; readonly dtype: DType };

function column(ctx: ImportContext, node: OnnxNode, side: "keys" | "values" | "default"): Column | undefined {
  const a = node.attrs;
  const t = a.tensor(`${side}_tensor`);
  if (t) {
    if (t.dataType === 8) return { strings: stringTensorFromProto(t, `${ctx.where()}: ${side}_tensor`).data };
    const dtype = dtypeForOnnx(t.dataType ?? 0, `${ctx.where()}: ${side}_tensor`);
    return { numbers: Array.from(tensorValues(t, `${ctx.where()}: ${side}_tensor`).values), dtype };
  }
  if (side === "default") {
    const s = a.string("default_string");
    if (s !== undefined) return { strings: [s] };
    if (a.has("default_int64")) return { numbers: [a.int("default_int64", -1)], dtype: "int32" };
    if (a.has("default_float")) return { numbers: [a.float("default_float", -0)], dtype: "float32" };
    return undefined;
  }
  const strings = a.strings(`${side}_strings`);
  if (strings?.length) return { strings };
  const ints = a.ints(`${side}_int64s`);
  if (ints?.length) return { numbers: ints, dtype: "int32" };
  const floats = a.floats(`${side}_floats`);
  if (floats?.length) return { numbers: floats, dtype: "float32" };
  return undefined;
}

function isStrings(c: Column): c is StringColumn {
  return "strings" in c;
}

const len = (c: Column) => (isStrings(c) ? c.strings.length : c.numbers.length);

/** A numeric key as a lookup key: NaN matches NaN, -0 matches 0. */
const numberKey = (v: number) => (Number.isNaN(v) ? "NaN" : String(v === 0 ? 0 : v));

/** Maps each element of input 0 through keys → values (default where absent), on the host. */
function lookUp(ctx: ImportContext, node: OnnxNode, keys: Column, values: Column, fallback: Column): void {
  if (len(keys) !== len(values)) throw new ShapeError(`${ctx.where()}: ${len(keys)} keys for ${len(values)} values`);
  const x = input(ctx, node, 0);
  let shape: readonly number[];
  let lookupKeys: string[];
  if (ctx.isString(x)) {
    if (!isStrings(keys)) throw new DTypeError(`${ctx.where()}: X is STRING but the keys are numbers`);
    const t = ctx.stringValue(x);
    shape = t.shape;
    lookupKeys = [...t.data];
  } else {
    if (isStrings(keys)) throw new DTypeError(`${ctx.where()}: X is ${ctx.dtype(x)} but the keys are strings`);
    // A numeric X mapped to strings: the strings are host values, so X must be known at import.
    const t = ctx.requireConstant(x, "mapping numbers to strings (strings are computed on the host)");
    shape = t.shape;
    lookupKeys = Array.from(t.data as ArrayLike<number>, numberKey);
  }
  const table = new Map<string, number>();
  (isStrings(keys) ? keys.strings : keys.numbers.map(numberKey)).forEach((k, i) => {
    if (table.has(k)) throw new UnsupportedOpError(`${ctx.where()}: key ${JSON.stringify(k)} is listed twice`);
    table.set(k, i);
  });
  if (isStrings(values) !== isStrings(fallback)) throw new DTypeError(`${ctx.where()}: the default is not of the values' type`);
  const at = lookupKeys.map((k) => table.get(k));
  const out = output(node);
  if (!out) return;
  if (isStrings(values)) {
    const d = (fallback as StringColumn).strings[0]!;
    ctx.declareString(
      out,
      stringTensor(
        shape,
        at.map((i) => (i === undefined ? d : values.strings[i]!)),
      ),
    );
    return;
  }
  const d = (fallback as NumberColumn).numbers[0]!;
  const data = hostArray(values.dtype, at.length);
  at.forEach((i, k) => (data[k] = i === undefined ? d : values.numbers[i]!));
  ctx.declareConstant(out, { dtype: values.dtype, shape: [...shape], data });
}

const numericLabelEncoder = ML_ENCODER_IMPORTERS.LabelEncoder!;

/** LabelEncoder: its string forms on the host; numbers to numbers lower as before (ml-encoders.ts). */
const labelEncoder: OpImporter = (ctx, node) => {
  const keys = column(ctx, node, "keys");
  const values = column(ctx, node, "values");
  if (node.attrs.strings("classes_strings")?.length)
    throw new UnsupportedOpError(`${ctx.where()}: LabelEncoder opset 1 (classes_strings) is not supported; use opset 2 or later`);
  const stringy = (keys && isStrings(keys)) || (values && isStrings(values)) || ctx.isString(node.inputs[0]);
  if (!stringy) return numericLabelEncoder(ctx, node);
  if (!keys || !values) throw new FormatError(`${ctx.where()}: keys and values are required`);
  const fallback =
    column(ctx, node, "default") ??
    (isStrings(values)
      ? { strings: ["_Unused"] }
      : values.dtype === "float32"
        ? { numbers: [-0], dtype: "float32" as DType }
        : { numbers: [-1], dtype: values.dtype });
  lookUp(ctx, node, keys, values, fallback);
};

/** CategoryMapper: strings to their index in cats_strings (else default_int64), or int64 back to strings (else default_string). */
const categoryMapper: OpImporter = (ctx, node) => {
  const strings = node.attrs.strings("cats_strings") ?? [];
  const ints = node.attrs.ints("cats_int64s") ?? [];
  if (strings.length !== ints.length) throw new ShapeError(`${ctx.where()}: ${strings.length} cats_strings for ${ints.length} cats_int64s`);
  const s: Column = { strings };
  const n: Column = { numbers: ints, dtype: "int32" };
  if (ctx.isString(node.inputs[0])) lookUp(ctx, node, s, n, { numbers: [node.attrs.int("default_int64", -1)], dtype: "int32" });
  else lookUp(ctx, node, n, s, { strings: [node.attrs.string("default_string", "_Unused")] });
};

const numericOneHotEncoder = ML_ENCODER_IMPORTERS.OneHotEncoder!;

/** OneHotEncoder with cats_strings: a float one-hot row per string of X (the last slot of a category listed twice). */
const oneHotEncoder: OpImporter = (ctx, node) => {
  const cats = node.attrs.strings("cats_strings");
  if (!cats?.length) return numericOneHotEncoder(ctx, node);
  const x = ctx.stringValue(input(ctx, node, 0));
  if (x.shape.length > 2) throw new ShapeError(`${ctx.where()}: expects X of rank 1 or 2, got rank ${x.shape.length}`);
  const slot = new Map(cats.map((c, i) => [c, i]));
  const zeros = node.attrs.int("zeros", 1) !== 0;
  const data = new Float32Array(x.data.length * cats.length);
  x.data.forEach((s, i) => {
    const at = slot.get(s);
    if (at !== undefined) data[i * cats.length + at] = 1;
    else if (!zeros) throw new UnsupportedOpError(`${ctx.where()}: ${JSON.stringify(s)} is not one of cats_strings and zeros is 0`);
  });
  const out = output(node);
  if (out) ctx.declareConstant(out, { dtype: "float32", shape: [...x.shape, cats.length], data });
};

export const ML_STRING_ENCODER_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  OneHotEncoder: oneHotEncoder,
  LabelEncoder: labelEncoder,
  CategoryMapper: categoryMapper,
};
