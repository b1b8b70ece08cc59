import { DTypeError, FormatError, ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { tensorValues } from "../../tensor.ts";
import { bin, castTo, input, output, type OpImporter } from "./helpers.ts";
import { strictOneHotEncoder } from "./ml-one-hot-strict.ts";

/**
 * The ai.onnx.ml encoders scikit-learn pipelines export, for numbers only (Polychip has no string
 * dtype): OneHotEncoder, LabelEncoder, FeatureVectorizer; and ZipMap, refused with how to export
 * without it. Lookups are an `equal` of each value against the whole key list, so every device
 * runs them.
 */

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function requireInt32(ctx: ImportContext, what: string, values: readonly number[]): void {
  for (const v of values)
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX)
      throw new DTypeError(`${ctx.where()}: ${what} value ${v} does not fit int32 (Polychip's int64)`);
}

/** X: a numeric tensor; floats are truncated to integers (onnxruntime casts them to int64). */
function integerInput(ctx: ImportContext, node: OnnxNode): string {
  const x = input(ctx, node, 0);
  const dtype = ctx.dtype(x);
  if (dtype === "bool") throw new DTypeError(`${ctx.where()}: expects numeric categories, got bool '${x}'`);
  if (dtype === "int32") return x;
  return castTo(ctx, dtype === "float32" ? x : castTo(ctx, x, "float32"), "int32");
}

/**
 * OneHotEncoder: Y = X's shape + [categories], 1 where the value is the category. A value that is
 * no category gives a row of zeros with zeros=1 (the default); with zeros=0 it stops the run, as
 * onnxruntime does, with a message naming the node and the value (ml-one-hot-strict.ts).
 */
const oneHotEncoder: OpImporter = (ctx, node) => {
  const cats = node.attrs.ints("cats_int64s", []);
  if (cats.length === 0) throw new ShapeError(`${ctx.where()}: cats_int64s is missing`);
  requireInt32(ctx, "cats_int64s", cats);
  const raw = input(ctx, node, 0);
  if (ctx.rank(raw) > 2) throw new ShapeError(`${ctx.where()}: expects X of rank 1 or 2, got rank ${ctx.rank(raw)}`);
  if (ctx.dtype(raw) === "bool") throw new DTypeError(`${ctx.where()}: expects numeric categories, got bool '${raw}'`);
  const oneHot = (x: string, out?: string) => {
    const equal = bin(ctx, "equal", ctx.op("unsqueeze", [x], { axes: [ctx.rank(x)] }), ctx.const(Int32Array.from(cats), [cats.length], "int32"));
    // A category listed twice takes onnxruntime's last slot; the earlier ones stay zero.
    const last = ctx.const(Uint8Array.from(cats.map((c, i) => (cats.lastIndexOf(c) === i ? 1 : 0))), [cats.length], "bool");
    return { equal, hit: ctx.op("cast", [ctx.op("logicalAnd", [equal, last])], { to: "float32" }, out) };
  };
  if (node.attrs.int("zeros", 1) !== 0) {
    oneHot(integerInput(ctx, node), output(node));
    return;
  }
  strictOneHotEncoder(ctx, node, raw, cats, () => {
    // No host step here (a plain import of a run-time X): an unknown value becomes index -1 of a gather, which the device refuses.
    const x = integerInput(ctx, node);
    const { equal, hit } = oneHot(x);
    const known = ctx.op("reduceMax", [castTo(ctx, equal, "int32")], { axes: [ctx.rank(x)], keepDims: true });
    const index = ctx.op("where", [bin(ctx, "equal", known, ctx.scalar(1, "int32")), ctx.scalar(0, "int32"), ctx.scalar(-1, "int32")]);
    const zero = ctx.op("gather", [ctx.const(Float32Array.from([0]), [1], "float32"), index], { axis: 0 });
    bin(ctx, "add", hit, zero, output(node));
  });
};

interface Lookup {
  keys: number[];
  values: number[];
  fallback: number;
  keyType: DType;
  valueType: DType;
}

/** A list attribute as numbers, or undefined when absent. */
function listOf(node: OnnxNode, name: string): number[] | undefined {
  const v = name.endsWith("int64s") ? node.attrs.ints(name) : node.attrs.floats(name);
  return v?.length ? v : undefined;
}

/** An opset-4 *_tensor attribute: int64 or float values (strings and doubles refused). */
function tensorList(ctx: ImportContext, node: OnnxNode, name: string): { values: number[]; dtype: DType } | undefined {
  const t = node.attrs.tensor(name);
  if (!t) return undefined;
  const dataType = t.dataType ?? 0;
  // ONNX TensorProto: FLOAT 1, INT64 7, STRING 8.
  if (dataType !== 1 && dataType !== 7) throw new DTypeError(`${ctx.where()}: ${name} of ONNX type ${dataType} is not supported (int64 or float)`);
  return { values: Array.from(tensorValues(t, `${ctx.where()}: ${name}`).values), dtype: dataType === 7 ? "int32" : "float32" };
}

function lookupOf(ctx: ImportContext, node: OnnxNode): Lookup {
  const keysTensor = tensorList(ctx, node, "keys_tensor");
  const valuesTensor = tensorList(ctx, node, "values_tensor");
  const intKeys = listOf(node, "keys_int64s");
  const floatKeys = listOf(node, "keys_floats");
  const intValues = listOf(node, "values_int64s");
  const floatValues = listOf(node, "values_floats");
  const keys =
    keysTensor ?? (intKeys ? { values: intKeys, dtype: "int32" as DType } : floatKeys ? { values: floatKeys, dtype: "float32" as DType } : undefined);
  const values =
    valuesTensor ?? (intValues ? { values: intValues, dtype: "int32" as DType } : floatValues ? { values: floatValues, dtype: "float32" as DType } : undefined);
  if (!keys || !values) throw new FormatError(`${ctx.where()}: keys and values are required`);
  if (keys.values.length !== values.values.length) throw new ShapeError(`${ctx.where()}: ${keys.values.length} keys for ${values.values.length} values`);
  if (keys.dtype === "int32") requireInt32(ctx, "key", keys.values);
  if (values.dtype === "int32") requireInt32(ctx, "value", values.values);
  const seen = new Set<number>();
  for (const k of keys.values) {
    const id = Number.isNaN(k) ? Number.NaN : k;
    if (seen.has(id)) throw new UnsupportedOpError(`${ctx.where()}: key ${k} is listed twice`);
    seen.add(id);
  }
  const defaultTensor = tensorList(ctx, node, "default_tensor");
  const fallback = defaultTensor
    ? defaultTensor.values[0]!
    : values.dtype === "int32"
      ? node.attrs.int("default_int64", -1)
      : node.attrs.float("default_float", -0);
  if (values.dtype === "int32") requireInt32(ctx, "default", [fallback]);
  return { keys: keys.values, values: values.values, fallback, keyType: keys.dtype, valueType: values.dtype };
}

/**
 * LabelEncoder (numeric keys and values, opsets 1–4): each value of X replaced by the value of the
 * key it equals (a NaN key matches NaN), else by the default.
 */
const labelEncoder: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const { keys, values, fallback, keyType, valueType } = lookupOf(ctx, node);
  const dtype = ctx.dtype(x);
  if (dtype !== keyType) throw new DTypeError(`${ctx.where()}: X is ${dtype} but the keys are ${keyType === "int32" ? "int64" : "float"}`);
  const rank = ctx.rank(x);
  const column = ctx.op("unsqueeze", [x], { axes: [rank] });
  let hit = bin(ctx, "equal", column, ctx.const(keyType === "int32" ? Int32Array.from(keys) : Float32Array.from(keys), [keys.length], keyType));
  const nanKey = keys.findIndex((k) => Number.isNaN(k));
  if (nanKey >= 0) {
    const isNan = bin(ctx, "notEqual", column, column);
    const atNanKey = ctx.const(Uint8Array.from(keys.map((_, i) => (i === nanKey ? 1 : 0))), [keys.length], "bool");
    hit = ctx.op("logicalOr", [hit, ctx.op("logicalAnd", [isNan, atNanKey])]);
  }
  const found = ctx.op("reduceMax", [ctx.op("cast", [hit], { to: "float32" })], { axes: [rank], keepDims: false });
  const which = ctx.op("argMax", [ctx.op("cast", [hit], { to: "float32" })], { axis: rank, keepDims: false });
  const table = ctx.const(valueType === "int32" ? Int32Array.from(values) : Float32Array.from(values), [values.length], valueType);
  const looked = ctx.op("gather", [table, which], { axis: 0 });
  ctx.op("where", [bin(ctx, "greater", found, ctx.scalar(0, "float32")), looked, ctx.scalar(fallback, valueType)], {}, output(node));
};

/**
 * FeatureVectorizer: the inputs as float32 columns side by side, each cut or zero-padded to its
 * inputdimensions entry; a 1-D input is one row, higher ranks are flattened after the first axis.
 */
const featureVectorizer: OpImporter = (ctx, node) => {
  const widths = node.attrs.ints("inputdimensions", []);
  const inputs = node.inputs.filter((name) => name !== "");
  if (widths.length !== inputs.length) throw new ShapeError(`${ctx.where()}: ${inputs.length} inputs for ${widths.length} inputdimensions values`);
  const parts = inputs.map((name, i) => {
    const dtype = ctx.dtype(name);
    if (dtype === "bool") throw new DTypeError(`${ctx.where()}: expects numeric inputs, got bool '${name}'`);
    const dims = ctx.dims(name);
    let t = castTo(ctx, name, "float32");
    if (dims.length === 1) t = ctx.op("unsqueeze", [t], { axes: [0] });
    else if (dims.length > 2) {
      const inner = dims.slice(1);
      if (!inner.every((d) => typeof d === "number")) throw new ShapeError(`${ctx.where()}: input '${name}' needs known dims after the first`);
      t = ctx.op("reshape", [t], { shape: [-1, (inner as number[]).reduce((a, b) => a * b, 1)] });
    }
    const have = ctx.dims(t)[1];
    if (typeof have !== "number") throw new ShapeError(`${ctx.where()}: input '${name}' needs a known number of columns`);
    const want = widths[i]!;
    if (have > want) return ctx.op("slice", [t], { starts: [0], ends: [want], axes: [1] });
    return have < want ? ctx.op("pad", [t], { pads: [0, 0, 0, want - have], mode: "constant", value: 0 }) : t;
  });
  ctx.op("concat", parts, { axis: 1 }, output(node));
};

/** ZipMap makes a sequence of maps, which Polychip has no value for. */
const zipMap: OpImporter = (ctx) => {
  throw new UnsupportedOpError(
    `${ctx.where()}: ZipMap (a sequence of maps) is not supported; convert the scikit-learn model without it, e.g. skl2onnx's to_onnx(model, X, options={id(model): {'zipmap': False}}), to get the probabilities as a tensor`,
  );
};

export const ML_ENCODER_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  OneHotEncoder: oneHotEncoder,
  LabelEncoder: labelEncoder,
  FeatureVectorizer: featureVectorizer,
  ZipMap: zipMap,
};
