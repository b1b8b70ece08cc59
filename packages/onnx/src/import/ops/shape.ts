import { broadcastDims, DTypeError, FormatError, sizeOf, ShapeError, tileDims, UnsupportedOpError } from "@polychip/hal";
import { isStatic, type Dim } from "../../host/meta.ts";
import { inferStructural } from "../../host/structural.ts";
import { tensorFromProto } from "../../tensor.ts";
import { isStringProto, stringTensor, stringTensorFromProto, type StringTensor } from "../../strings.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { axesOf, axisOf, bin, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { concatAxis } from "./legacy.ts";
import { isCombiningReduction, scatterReduce, scatterReplace } from "./scatter-reduce.ts";

/** Values of a known integer tensor as numbers. */
const valuesOf = (t: { data: ArrayLike<number> }) => Array.from(t.data);

const reshape: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const allowZero = node.attrs.int("allowzero", 0) === 1;
  let target: number[] | undefined;
  if (node.opset < 5) target = node.attrs.ints("shape");
  else {
    const shapeName = input(ctx, node, 1);
    // A target computed from shapes has the dims the HAL's rules trace (symbols included); one
    // read from data is asked for when OnnxSession computes it per run, so its dims are real.
    const known = ctx.constant(shapeName) ?? (ctx.shapeValue(shapeName) ? undefined : ctx.preferConstant(shapeName, "Reshape's target shape"));
    if (!known) {
      // A target computed at run time: the runtime's reshape reads it.
      ctx.op("reshape", [x, shapeName], allowZero ? { allowZero: true } : {}, output(node));
      return;
    }
    target = valuesOf(known);
  }
  if (!target) throw new FormatError(`${ctx.where()}: no target shape`);
  const [out] = inferStructural("reshape", [{ dtype: ctx.dtype(x), shape: ctx.dims(x) }], { shape: target, allowZero }, []);
  const dims = out!.shape;
  // Static dims resolve 0 and -1 here; symbolic ones keep them for the runtime.
  const shape = isStatic(dims) ? dims : target;
  ctx.op("reshape", [x], { shape, ...(allowZero && !isStatic(dims) ? { allowZero: true } : {}) }, output(node));
};

const flatten: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  let axis = node.attrs.int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) throw new ShapeError(`${ctx.where()}: axis ${node.attrs.int("axis", 1)} is out of range for rank ${rank}`);
  ctx.op("flatten", [x], { axis }, output(node));
};

function axesInputOrAttr(ctx: ImportContext, node: OnnxNode, since: number): number[] | undefined {
  if (node.opset < since) return node.attrs.ints("axes");
  const name = optionalInput(node, 1);
  return name ? ctx.ints(name, "the axes") : undefined;
}

const squeeze: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axes = axesInputOrAttr(ctx, node, 13);
  if (axes === undefined) {
    const dims = ctx.dims(x);
    if (dims.some((d) => typeof d !== "number"))
      throw new UnsupportedOpError(`${ctx.where()}: squeezing every size-1 dim needs a static shape, got [${dims.join(", ")}]`);
    ctx.op("squeeze", [x], { axes: dims.flatMap((d, i) => (d === 1 ? [i] : [])) }, output(node));
    return;
  }
  ctx.op("squeeze", [x], { axes: axesOf(ctx, axes, ctx.rank(x)) }, output(node));
};

const unsqueeze: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axes = axesInputOrAttr(ctx, node, 13);
  if (!axes) throw new FormatError(`${ctx.where()}: missing axes`);
  ctx.op("unsqueeze", [x], { axes: axesOf(ctx, axes, ctx.rank(x) + axes.length) }, output(node));
};

const transpose: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const perm = node.attrs.ints("perm") ?? [...Array(rank).keys()].reverse();
  ctx.op("permute", [x], { dims: axesOf(ctx, perm, rank) }, output(node));
};

const expand: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const shapeName = input(ctx, node, 1);
  const known = ctx.preferConstant(shapeName, "Expand's target shape");
  if (!known) {
    ctx.op("expand", [x, shapeName], {}, output(node));
    return;
  }
  const requested = valuesOf(known);
  const target = broadcastDims("expand", ctx.dims(x), requested);
  // A run-time dim of the result comes from a 1 in the requested shape, and the engine's expand
  // keeps x's dim there too: the requested shape works for every size of that dim.
  ctx.op("expand", [x], { shape: isStatic(target) ? target : requested }, output(node));
};

/**
 * Tile = view x as [1, d0, 1, d1, ...], broadcast to [r0, d0, r1, d1, ...], merge pairs. Over
 * symbolic dims or repeats (HAL tileDims) see symbolicTile.
 */
const tile: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.dims(x);
  const repeatsName = node.opset < 6 ? undefined : input(ctx, node, 1);
  const traced = repeatsName && !ctx.constant(repeatsName) ? ctx.shapeValue(repeatsName) : undefined;
  const repeats = node.opset < 6 ? tile1Repeats(ctx, node, dims.length) : (traced ?? ctx.ints(repeatsName!, "Tile's repeats"));
  tileDims(ctx.where(), dims, repeats, () => "");
  if (!isStatic(dims) || !isStatic(repeats)) {
    symbolicTile(ctx, x, dims, repeats, repeatsName, output(node));
    return;
  }
  const shape = dims;
  const interleaved = ctx.op("unsqueeze", [x], { axes: shape.map((_, i) => 2 * i) });
  const wide = ctx.op("expand", [interleaved], { shape: shape.flatMap((d, i) => [repeats[i]!, d]) });
  ctx.op("reshape", [wide], { shape: shape.map((d, i) => d * repeats[i]!) }, output(node));
};

/**
 * Tile over symbolic dims or repeats: an axis repeated once is left as it is (its symbol stays); a
 * dim of 1 repeated by a symbol is an expand to the repeats themselves (Tile(cls, [batch, 1, 1]),
 * when every repeated dim is 1); a numeric dim repeated a number of times is a gather of its
 * indices. A symbolic dim repeated more than once needs its size: OnnxSession binds it.
 */
function symbolicTile(ctx: ImportContext, x: string, dims: readonly Dim[], repeats: readonly Dim[], repeatsName: string | undefined, out?: string): void {
  if (!isStatic(repeats)) {
    const expands = repeats.every((r, i) => r === 1 || dims[i] === 1);
    // Symbolic repeats of dims other than 1 are read per run (OnnxSession) like any data.
    if (!expands || !repeatsName) return void symbolicTile(ctx, x, dims, ctx.ints(repeatsName!, "Tile's repeats"), repeatsName, out);
    ctx.op("expand", [x, repeatsName], {}, out);
    return;
  }
  let y = x;
  repeats.forEach((r, axis) => {
    if (r === 1) return;
    const d = dims[axis]!;
    if (typeof d !== "number")
      throw new UnsupportedOpError(`${ctx.where()}: repeating dim ${axis} (${d}) ${r} times needs its size at import (OnnxSession binds it per input shape)`);
    const picked = Int32Array.from({ length: d * r }, (_, i) => i % d);
    y = ctx.op("gather", [y, ctx.const(picked, [picked.length], "int32")], { axis });
  });
  ctx.op("identity", [y], {}, out);
}

/** Tile-1 repeats along one axis: inputs (input, tiles, axis) instead of a repeats vector. */
function tile1Repeats(ctx: ImportContext, node: OnnxNode, rank: number): number[] {
  const tiles = ctx.ints(input(ctx, node, 1), "Tile's tiles");
  const axis = axisOf(ctx, ctx.ints(input(ctx, node, 2), "Tile's axis")[0] ?? 0, rank);
  return Array.from({ length: rank }, (_, i) => (i === axis ? (tiles[0] ?? 1) : 1));
}

const concat: OpImporter = (ctx, node) => {
  const ins = node.inputs.filter((n) => n);
  if (ins.length === 0) throw new FormatError(`${ctx.where()}: needs at least one input`);
  const axisAttr = concatAxis(node);
  if (axisAttr === undefined) throw new FormatError(`${ctx.where()}: missing attribute 'axis'`);
  const axis = axisOf(ctx, axisAttr, ctx.rank(ins[0]!));
  if (ins.length === 1) ctx.bind(output(node), ins[0]!);
  else ctx.op("concat", ins, { axis }, output(node));
};

const split: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const axis = axisOf(ctx, node.attrs.int("axis", 0), rank);
  const count = node.outputs.length;
  if (count === 0) throw new FormatError(`${ctx.where()}: has no outputs`);
  let sizesName: string | undefined;
  let given: number[] | undefined;
  if (node.opset < 13) {
    given = node.attrs.ints("split");
    // Split-1 could also take the sizes as an optional second input.
    const sizesInput = node.opset < 2 ? optionalInput(node, 1) : undefined;
    if (!given && sizesInput) given = ctx.ints(sizesInput, "Split's sizes");
  } else {
    sizesName = optionalInput(node, 1);
    const known = sizesName ? ctx.constant(sizesName) : undefined;
    if (known) given = valuesOf(known);
    const numOutputs = node.attrs.int("num_outputs");
    if (numOutputs !== undefined && numOutputs !== count) throw new FormatError(`${ctx.where()}: num_outputs ${numOutputs} but ${count} outputs`);
  }
  const outs = node.outputs.map((o) => o || undefined);
  if (sizesName && !given) {
    ctx.opN("split", [x, sizesName], { axis }, outs);
    return;
  }
  const parts = inferStructural("split", [{ dtype: ctx.dtype(x), shape: ctx.dims(x) }], { axis, ...(given ? { sizes: given } : {}) }, [], count);
  const sizes = parts.map((p) => p.shape[axis]!);
  // Equal parts of a dim known only at run time: the runtime's split sizes them from the actual dim.
  ctx.opN("split", [x], isStatic(sizes) ? { axis, sizes } : { axis }, outs);
};

const slice: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  if (node.opset < 10) {
    const starts = node.attrs.ints("starts");
    const ends = node.attrs.ints("ends");
    if (!starts || !ends) throw new FormatError(`${ctx.where()}: missing starts or ends`);
    ctx.op("slice", [x], { starts, ends, ...(node.attrs.has("axes") ? { axes: node.attrs.ints("axes")! } : {}) }, output(node));
    return;
  }
  const names = [1, 2, 3, 4].map((i) => optionalInput(node, i));
  const known = names.map((n) => (n ? ctx.constant(n) : undefined));
  if (names.every((n, i) => !n || known[i])) {
    const [starts, ends, axes, steps] = known.map((k) => (k ? valuesOf(k) : undefined));
    if (!starts || !ends) throw new FormatError(`${ctx.where()}: missing starts or ends`);
    ctx.op("slice", [x], { starts, ends, ...(axes ? { axes } : {}), ...(steps ? { steps } : {}) }, output(node));
    return;
  }
  // Bounds known at import time but saturated (INT64_MAX) are valid here: re-declare them plainly.
  const inputs = names.map((n, i) => (n && known[i] && ctx.isSaturated(n) ? ctx.const(known[i]!.data, known[i]!.shape, "int32") : (n ?? "")));
  ctx.op("slice", [x, ...inputs], {}, output(node));
};

/**
 * Indices may be negative in ONNX (counting from the end); the HAL wants [0, dim). Known indices move
 * only in [-dim, 0): one below -dim stays as given, out of range either way, so the device's error
 * names the index the model gave ("index -4", not "index -1"). Run-time indices all move by dim when
 * negative: keeping those below -dim too would cost a second compare and an and per run, which
 * measured roughly a quarter slower per run on npu-sim (a 64-index Gather model; two more ops in its
 * fused program), so there the error names the index plus dim.
 */
function nonNegativeIndices(ctx: ImportContext, idx: string, dim: number | string): string {
  const known = ctx.constant(idx);
  if (known) {
    if (typeof dim !== "number") return idx;
    const fixed = Int32Array.from(known.data as ArrayLike<number>, (v) => (v < 0 && v >= -dim ? v + dim : v));
    return ctx.const(fixed, known.shape, "int32");
  }
  if (typeof dim !== "number") throw new UnsupportedOpError(`${ctx.where()}: run-time indices into a run-time dim`);
  const i32 = ctx.dtype(idx) === "int32" ? idx : ctx.op("cast", [idx], { to: "int32" });
  const zero = ctx.scalar(0, "int32");
  return ctx.op("where", [bin(ctx, "less", i32, zero), bin(ctx, "add", i32, ctx.scalar(dim, "int32")), i32]);
}

const gather: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axis = axisOf(ctx, node.attrs.int("axis", 0), ctx.rank(x));
  const idx = nonNegativeIndices(ctx, input(ctx, node, 1), ctx.dims(x)[axis]!);
  ctx.op("gather", [x, idx], { axis }, output(node));
};

const gatherElements: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axis = axisOf(ctx, node.attrs.int("axis", 0), ctx.rank(x));
  const idx = nonNegativeIndices(ctx, input(ctx, node, 1), ctx.dims(x)[axis]!);
  ctx.op("gatherElements", [x, idx], { axis }, output(node));
};

/**
 * ScatterElements: reduction "add" is the HAL's scatterAdd, "mul"/"max"/"min" scatter-reduce.ts; "none" (the default) writes the
 * updates where the indices point and keeps x elsewhere (of duplicates the last wins, as in onnxruntime).
 */
const scatterElements: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axis = axisOf(ctx, node.attrs.int("axis", 0), ctx.rank(x));
  const idx = nonNegativeIndices(ctx, input(ctx, node, 1), ctx.dims(x)[axis]!);
  const updates = input(ctx, node, 2);
  const reduction = node.attrs.string("reduction", "none");
  if (reduction === "add") {
    ctx.op("scatterAdd", [x, idx, updates], { axis }, output(node));
    return;
  }
  if (isCombiningReduction(reduction)) {
    scatterReduce(ctx, x, idx, updates, axis, reduction, output(node));
    return;
  }
  if (reduction !== "none") throw new UnsupportedOpError(`${ctx.where()}: reduction '${reduction}' is not supported (none, add, mul, max, min)`);
  scatterReplace(ctx, x, idx, updates, axis, output(node));
};

const shape: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const attrs = { ...(node.attrs.has("start") ? { start: node.attrs.int("start")! } : {}), ...(node.attrs.has("end") ? { end: node.attrs.int("end")! } : {}) };
  const dims = ctx.dims(x);
  if (isStatic(dims)) {
    // Known at import time: a constant, so downstream shape arithmetic folds away.
    const r = dims.length;
    const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
    const picked = dims.slice(clamp(attrs.start ?? 0), Math.max(clamp(attrs.start ?? 0), clamp(attrs.end ?? r)));
    ctx.bind(output(node), ctx.const(picked, [picked.length], "int32"));
    return;
  }
  ctx.op("shape", [x], attrs, output(node));
};

const size: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.dims(x);
  if (isStatic(dims)) ctx.bind(output(node), ctx.const([sizeOf(dims)], [], "int32"));
  else ctx.op("size", [x], {}, output(node));
};

/** Inference Dropout: the identity, and an all-true mask when asked for. */
const dropout: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const training = node.opset >= 12 ? optionalInput(node, 2) : undefined;
  // A training_mode fed at run time is read per run (OnnxSession), never assumed false.
  if (training && ctx.requireConstant(training, "Dropout's training_mode").data[0]) {
    // With ratio 0 training-mode dropout keeps every element (scale 1/(1 − 0)): the same as inference.
    const ratioInput = optionalInput(node, 1);
    const ratio = ratioInput ? ctx.requireConstant(ratioInput, "Dropout's ratio").data[0] : 0.5;
    if (ratio !== 0) throw new UnsupportedOpError(`${ctx.where()}: training-mode dropout (ratio ${ratio}) is random; Polychip imports models for inference`);
  }
  ctx.bind(output(node, 0), x);
  const mask = output(node, 1);
  if (mask) ctx.op("fill", [], { shape: ctx.shape(x, "Dropout's mask"), dtype: node.opset >= 10 ? "bool" : ctx.dtype(x), value: 1 }, mask);
};

const pad: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const mode = node.attrs.string("mode", "constant");
  if (mode !== "constant" && mode !== "reflect" && mode !== "edge" && mode !== "wrap")
    throw new UnsupportedOpError(`${ctx.where()}: pad mode '${mode}' is not supported (constant, reflect, edge, wrap)`);
  let pads: number[] | undefined;
  let value = 0;
  if (node.opset < 11) {
    pads = node.attrs.ints(node.opset < 2 ? "paddings" : "pads");
    value = node.attrs.float("value", 0);
  } else {
    pads = ctx.ints(input(ctx, node, 1), "Pad's pads");
    const v = optionalInput(node, 2);
    if (v) value = ctx.requireConstant(v, "Pad's constant value").data[0] ?? 0;
    const axesName = optionalInput(node, 3);
    if (axesName) {
      // pads list begin/end for the listed axes only; spread them over all dims.
      const axes = axesOf(ctx, ctx.ints(axesName, "Pad's axes"), rank);
      if (pads.length !== 2 * axes.length) throw new ShapeError(`${ctx.where()}: ${pads.length} pads for ${axes.length} axes`);
      const full = new Array<number>(2 * rank).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads![i]!;
        full[a + rank] = pads![i + axes.length]!;
      });
      pads = full;
    }
  }
  if (!pads || pads.length !== 2 * rank) throw new ShapeError(`${ctx.where()}: pads must have ${2 * rank} entries, got ${pads?.length ?? 0}`);
  if (mode === "wrap") wrapPad(ctx, x, pads, output(node));
  else ctx.op("pad", [x], { pads, mode, value }, output(node));
};

/**
 * Pad mode "wrap" (opset 19): a negative pad crops first, then output position j of an axis
 * padded by (begin, end) reads position (j − begin) mod size of what is left, so a pad wider than
 * the axis repeats it (numpy's wrap, which ONNX's reference and onnxruntime compute). One gather
 * per padded axis.
 */
function wrapPad(ctx: ImportContext, x: string, pads: readonly number[], out?: string): string {
  const dims = ctx.dims(x);
  const rank = dims.length;
  let y = x;
  for (let a = 0; a < rank; a++) {
    const [begin, end] = [pads[a]!, pads[a + rank]!];
    if (begin === 0 && end === 0) continue;
    const size = dims[a];
    if (typeof size !== "number") throw new UnsupportedOpError(`${ctx.where()}: wrap padding needs axis ${a}'s size, got [${dims.join(", ")}]`);
    const first = Math.max(0, -begin);
    const kept = size - first - Math.max(0, -end);
    const length = kept + Math.max(0, begin) + Math.max(0, end);
    if (kept < 0 || (kept === 0 && length > 0)) throw new ShapeError(`${ctx.where()}: pads [${pads.join(", ")}] cannot wrap axis ${a} of size ${size}`);
    const from = Int32Array.from({ length }, (_, j) => first + ((((j - Math.max(0, begin)) % kept) + kept) % kept));
    y = ctx.op("gather", [y, ctx.const(from, [length], "int32")], { axis: a });
  }
  return ctx.op("identity", [y], {}, out);
}

const constantOfShape: OpImporter = (ctx, node) => {
  const shapeName = input(ctx, node, 0);
  const t = node.attrs.tensor("value");
  const v = t ? tensorFromProto(t, `${ctx.where()} value`) : { dtype: "float32" as const, data: new Float32Array([0]), shape: [1] };
  if (v.data.length !== 1) throw new ShapeError(`${ctx.where()}: value must hold one element`);
  const traced = ctx.constant(shapeName) ? undefined : ctx.shapeValue(shapeName);
  if (traced && traced.some((d) => typeof d === "string")) {
    // ConstantOfShape(Shape(x)) of a symbolic x (x.new_zeros(x.shape)): the value broadcast to the
    // shape the run reads, whose dims the import knows as symbols.
    const scalar = ctx.op("fill", [], { shape: [], dtype: v.dtype, value: v.data[0]! });
    ctx.op("expand", [scalar, shapeName], {}, output(node));
    return;
  }
  const shape = ctx.ints(shapeName, "ConstantOfShape's shape");
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`${ctx.where()}: invalid shape [${shape.join(", ")}]`);
  ctx.op("fill", [], { shape, dtype: v.dtype, value: v.data[0]! }, output(node));
};

const range: OpImporter = (ctx, node) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => {
    const t = ctx.requireConstant(input(ctx, node, i), "Range's start, limit and delta");
    if (t.data.length !== 1) throw new ShapeError(`${ctx.where()}: start, limit and delta must be scalars`);
    return t;
  }) as [ReturnType<ImportContext["requireConstant"]>, ReturnType<ImportContext["requireConstant"]>, ReturnType<ImportContext["requireConstant"]>];
  const s = start.data[0]!;
  const d = delta.data[0]!;
  if (d === 0) throw new ShapeError(`${ctx.where()}: delta is 0`);
  const n = Math.max(Math.ceil((limit.data[0]! - s) / d), 0);
  if (n > 1 << 24) throw new ShapeError(`${ctx.where()}: range of ${n} elements is too large`);
  const values = Array.from({ length: n }, (_, i) => s + i * d);
  ctx.bind(output(node), ctx.const(values, [n], start.dtype));
};

const constant: OpImporter = (ctx, node) => {
  const a = node.attrs;
  const t = a.tensor("value");
  let value;
  let saturated = false;
  const strings = t && isStringProto(t) ? stringTensorFromProto(t, `${ctx.where()} value`) : stringsAttribute(a);
  if (strings) {
    if (output(node)) ctx.declareString(output(node)!, strings);
    return;
  }
  if (t) ({ value, saturated } = ctx.decode(t, `${ctx.where()} value`));
  else if (a.has("value_float")) value = { dtype: "float32" as const, shape: [], data: Float32Array.of(a.float("value_float")!) };
  else if (a.has("value_floats"))
    value = { dtype: "float32" as const, shape: [a.floats("value_floats")!.length], data: Float32Array.from(a.floats("value_floats")!) };
  else if (a.has("value_int")) value = { dtype: "int32" as const, shape: [], data: Int32Array.of(checkedInt(ctx, a.int("value_int")!)) };
  else if (a.has("value_ints")) {
    const ints = a.ints("value_ints")!.map((v) => checkedInt(ctx, v));
    value = { dtype: "int32" as const, shape: [ints.length], data: Int32Array.from(ints) };
  } else throw new UnsupportedOpError(`${ctx.where()}: only tensor, float and int constants are supported (got ${a.names().join(", ") || "no value"})`);
  const out = output(node);
  if (!out) return;
  ctx.declareConstant(out, value, saturated);
  // The HAL dtype hides bfloat16, float8, 4-bit and 2-bit types: later ops need the ONNX one.
  if (t?.dataType) ctx.declaredTypes.set(out, t.dataType);
};

/** Constant's value_string / value_strings, as a STRING tensor. */
function stringsAttribute(a: OnnxNode["attrs"]): StringTensor | undefined {
  const one = a.string("value_string");
  if (one !== undefined) return stringTensor([], [one]);
  const many = a.strings("value_strings");
  return many ? stringTensor([many.length], many) : undefined;
}

function checkedInt(ctx: ImportContext, v: number): number {
  if (v < -(2 ** 31) || v >= 2 ** 31) throw new DTypeError(`${ctx.where()}: integer ${v} does not fit in int32`);
  return v;
}

/** DepthToSpace / SpaceToDepth: a reshape, a permute and a reshape. */
const depthToSpace: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const [n, c, h, w] = ctx.shape(x, "DepthToSpace") as [number, number, number, number];
  const b = node.attrs.int("blocksize", 0);
  if (ctx.rank(x) !== 4 || b <= 0 || c % (b * b) !== 0)
    throw new ShapeError(`${ctx.where()}: needs a 4-D input with channels divisible by blocksize² (blocksize ${b})`);
  const crd = node.attrs.string("mode", "DCR") === "CRD";
  const split = ctx.op("reshape", [x], { shape: crd ? [n, c / (b * b), b, b, h, w] : [n, b, b, c / (b * b), h, w] });
  const moved = ctx.op("permute", [split], { dims: crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2] });
  ctx.op("reshape", [moved], { shape: [n, c / (b * b), h * b, w * b] }, output(node));
};

const spaceToDepth: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const [n, c, h, w] = ctx.shape(x, "SpaceToDepth") as [number, number, number, number];
  const b = node.attrs.int("blocksize", 0);
  if (ctx.rank(x) !== 4 || b <= 0 || h % b !== 0 || w % b !== 0)
    throw new ShapeError(`${ctx.where()}: needs a 4-D input with H and W divisible by blocksize ${b}`);
  const split = ctx.op("reshape", [x], { shape: [n, c, h / b, b, w / b, b] });
  const moved = ctx.op("permute", [split], { dims: [0, 3, 5, 1, 2, 4] });
  ctx.op("reshape", [moved], { shape: [n, c * b * b, h / b, w / b] }, output(node));
};

export const SHAPE_IMPORTERS: Record<string, OpImporter> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  GatherElements: gatherElements,
  ScatterElements: scatterElements,
  Shape: shape,
  Size: size,
  Dropout: dropout,
  Pad: pad,
  ConstantOfShape: constantOfShape,
  Range: range,
  Constant: constant,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
};
