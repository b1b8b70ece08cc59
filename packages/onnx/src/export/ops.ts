import { DTypeError, ShapeError, UnsupportedOpError, type Attrs } from "@polychip/hal";
import type { GraphNode } from "@polychip/engine/runtime";
import { DataType } from "../proto/types.ts";
import type { ExportContext } from "./context.ts";
import { onnxElemType } from "./context.ts";
import { RECURRENT_EXPORTERS } from "./recurrent.ts";

/** Writes one graph node as ONNX nodes (opset 17). */
export type OpExporter = (ctx: ExportContext, node: GraphNode) => void;

const list = (attrs: Attrs, name: string): number[] | undefined => (Array.isArray(attrs[name]) ? [...(attrs[name] as number[])] : undefined);
const num = (attrs: Attrs, name: string, fallback: number): number =>
  typeof attrs[name] === "number" ? (attrs[name] as number) : typeof attrs[name] === "boolean" ? Number(attrs[name]) : fallback;
const flag = (attrs: Attrs, name: string) => (attrs[name] ? 1 : 0);

const same =
  (opType: string): OpExporter =>
  (ctx, node) =>
    ctx.node(opType, node.inputs, node.outputs);

const UNARY: Record<string, string> = {
  neg: "Neg",
  abs: "Abs",
  sign: "Sign",
  exp: "Exp",
  log: "Log",
  sqrt: "Sqrt",
  reciprocal: "Reciprocal",
  sin: "Sin",
  cos: "Cos",
  tanh: "Tanh",
  sigmoid: "Sigmoid",
  relu: "Relu",
  erf: "Erf",
  floor: "Floor",
  ceil: "Ceil",
  round: "Round",
  isNaN: "IsNaN",
  logicalNot: "Not",
  copy: "Identity",
};

const BINARY: Record<string, string> = {
  add: "Add",
  sub: "Sub",
  mul: "Mul",
  div: "Div",
  pow: "Pow",
  maximum: "Max",
  minimum: "Min",
  equal: "Equal",
  less: "Less",
  lessEqual: "LessOrEqual",
  greater: "Greater",
  greaterEqual: "GreaterOrEqual",
  logicalAnd: "And",
  logicalOr: "Or",
  logicalXor: "Xor",
  where: "Where",
};

function isFloatValue(ctx: ExportContext, name: string): boolean {
  const t = ctx.info(name)?.dtype;
  return t === "float32" || t === "float16";
}

/** Reductions: ReduceSum takes axes as an input since opset 13, the others since 18 (an attribute before). */
const reduce =
  (opType: string): OpExporter =>
  (ctx, node) => {
    const axes = list(node.attrs, "axes");
    const keepdims = flag(node.attrs, "keepDims");
    if (opType === "ReduceSum" || ctx.opset >= 18) ctx.node(opType, axes ? [node.inputs[0]!, ctx.int64(axes)] : [node.inputs[0]!], node.outputs, { keepdims });
    else ctx.node(opType, [node.inputs[0]!], node.outputs, { keepdims, ...(axes ? { axes } : {}) });
  };

/** ArgMax/ArgMin give int64 in ONNX; the graph's value is int32. */
const argReduce =
  (opType: string): OpExporter =>
  (ctx, node) => {
    const idx = ctx.temp(opType, [node.inputs[0]!], {
      axis: num(node.attrs, "axis", 0),
      keepdims: flag(node.attrs, "keepDims"),
      select_last_index: flag(node.attrs, "selectLastIndex"),
    });
    ctx.node("Cast", [idx], node.outputs, { to: DataType.INT32 });
  };

/**
 * argsort as a TopK over the whole dim: sorted, and ONNX orders ties by the lower index, which is
 * the stable order. The dim's size must be known at export (TopK's k is a tensor). Indices are int64
 * in ONNX, int32 in the graph; TopK takes no bool, so bool keys go through int32.
 */
const argsort: OpExporter = (ctx, node) => {
  const x = node.inputs[0]!;
  const info = ctx.info(x);
  const rank = info?.shape.length ?? 0;
  const raw = num(node.attrs, "axis", -1);
  const axis = raw < 0 ? raw + rank : raw;
  const n = info?.shape[axis];
  if (typeof n !== "number")
    throw new UnsupportedOpError(`argsort: ONNX TopK needs the size of the sorted dim at export, and dim ${raw} of '${x}' is ${n ?? "unknown"}`);
  const keys = info?.dtype === "bool" ? ctx.temp("Cast", [x], { to: DataType.INT32 }) : x;
  const values = ctx.fresh(`${ctx.current || "argsort"}_values`);
  const indices = ctx.fresh(`${ctx.current || "argsort"}_indices`);
  ctx.node("TopK", [keys, ctx.int64([n])], [values, indices], { axis, largest: flag(node.attrs, "descending"), sorted: 1 });
  ctx.node("Cast", [indices], node.outputs, { to: DataType.INT32 });
};

const matmul: OpExporter = (ctx, node) => {
  const ta = flag(node.attrs, "transposeA");
  const tb = flag(node.attrs, "transposeB");
  const rank = ctx.info(node.inputs[0]!)?.shape.length ?? 2;
  if (rank === 2) {
    if (!ta && !tb) ctx.node("MatMul", node.inputs, node.outputs);
    else ctx.node("Gemm", node.inputs, node.outputs, { transA: ta, transB: tb });
    return;
  }
  const swap = [...Array(rank).keys()].map((i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
  const a = ta ? ctx.temp("Transpose", [node.inputs[0]!], { perm: swap }) : node.inputs[0]!;
  const b = tb ? ctx.temp("Transpose", [node.inputs[1]!], { perm: swap }) : node.inputs[1]!;
  ctx.node("MatMul", [a, b], node.outputs);
};

const windowAttrs = (attrs: Attrs) => ({
  strides: list(attrs, "strides") ?? [1, 1],
  pads: list(attrs, "pads") ?? [0, 0, 0, 0],
  dilations: list(attrs, "dilations") ?? [1, 1],
});

const conv2d: OpExporter = (ctx, node) => {
  ctx.node("Conv", node.inputs, node.outputs, { ...windowAttrs(node.attrs), group: num(node.attrs, "groups", 1) });
};

/** conv2dGradInput is ConvTranspose; output_padding recovers the exact input size. */
const conv2dGradInput: OpExporter = (ctx, node) => {
  const w = windowAttrs(node.attrs);
  const target = list(node.attrs, "inputShape");
  const x = ctx.info(node.inputs[0]!)?.shape;
  const k = ctx.info(node.inputs[1]!)?.shape;
  if (!target || !x || !k || [...x, ...k].some((d) => typeof d !== "number")) throw new UnsupportedOpError(`conv2dGradInput: export needs static shapes`);
  const outputPadding = [0, 1].map((i) => {
    const span = ((k[2 + i] as number) - 1) * w.dilations[i]! + 1;
    return target[2 + i]! - (w.strides[i]! * ((x[2 + i] as number) - 1) + span - w.pads[i]! - w.pads[i + 2]!);
  });
  ctx.node("ConvTranspose", node.inputs, node.outputs, { ...w, group: num(node.attrs, "groups", 1), output_padding: outputPadding });
};

const pool =
  (opType: string): OpExporter =>
  (ctx, node) => {
    const w = windowAttrs(node.attrs);
    const common = { kernel_shape: list(node.attrs, "kernel")!, strides: w.strides, pads: w.pads, ceil_mode: flag(node.attrs, "ceilMode") };
    if (opType === "MaxPool") ctx.node(opType, node.inputs, node.outputs, { ...common, dilations: w.dilations });
    else {
      const dilated = w.dilations.some((d) => d !== 1);
      if (dilated && ctx.opset < 19) throw new UnsupportedOpError(`avgPool2d: dilations need AveragePool-19 (exporting opset ${ctx.opset})`);
      ctx.node(opType, node.inputs, node.outputs, {
        ...common,
        count_include_pad: flag(node.attrs, "countIncludePad"),
        ...(dilated ? { dilations: w.dilations } : {}),
      });
    }
  };

const softmax =
  (opType: string): OpExporter =>
  (ctx, node) =>
    ctx.node(opType, node.inputs, node.outputs, { axis: num(node.attrs, "axis", -1) });

/** ONNX LayerNormalization needs a Scale; a missing weight is ones over the normalised dims. */
const layerNorm: OpExporter = (ctx, node) => {
  const axis = num(node.attrs, "axis", -1);
  const epsilon = { float: num(node.attrs, "epsilon", 1e-5) };
  let [x, scale, bias] = node.inputs as [string, string | undefined, string | undefined];
  if (!scale) {
    const shape = ctx.info(x)?.shape;
    if (!shape) throw new UnsupportedOpError(`layerNorm: exporting without a weight needs the input's shape`);
    const a = axis < 0 ? axis + shape.length : axis;
    const dims = shape.slice(a);
    if (dims.some((d) => typeof d !== "number")) throw new UnsupportedOpError(`layerNorm: exporting without a weight needs static normalised dims`);
    const n = (dims as number[]).reduce((p, d) => p * d, 1);
    scale = ctx.constant(new Array<number>(n).fill(1), dims as number[], ctx.info(x)!.dtype);
  }
  ctx.node("LayerNormalization", bias ? [x, scale, bias] : [x, scale], node.outputs, { axis, epsilon });
};

const batchNorm: OpExporter = (ctx, node) =>
  ctx.node("BatchNormalization", node.inputs, node.outputs, { epsilon: { float: num(node.attrs, "epsilon", 1e-5) } });

const pad: OpExporter = (ctx, node) => {
  const dtype = ctx.info(node.inputs[0]!)?.dtype ?? "float32";
  const value = ctx.constant([num(node.attrs, "value", 0)], [], dtype);
  ctx.node("Pad", [node.inputs[0]!, ctx.int64(list(node.attrs, "pads") ?? []), value], node.outputs, { mode: String(node.attrs.mode ?? "constant") });
};

const concat: OpExporter = (ctx, node) => ctx.node("Concat", node.inputs, node.outputs, { axis: num(node.attrs, "axis", 0) });

const cast: OpExporter = (ctx, node) => {
  const to = node.attrs.to;
  if (typeof to !== "string") throw new DTypeError(`cast: missing 'to'`);
  ctx.node("Cast", node.inputs, node.outputs, { to: onnxElemType(to as Parameters<typeof onnxElemType>[0]) });
};

const fill: OpExporter = (ctx, node) => {
  const dtype = (node.attrs.dtype as Parameters<typeof onnxElemType>[0]) ?? "float32";
  const value = ctx.tensor([num(node.attrs, "value", 0)], [1], dtype);
  ctx.node("ConstantOfShape", [ctx.int64(list(node.attrs, "shape") ?? [])], node.outputs, { value: { tensor: value } });
};

/** mod (divisor's sign) on floats: ONNX Mod needs fmod=1 for floats, so spell it a − floor(a/b)·b. */
const mod: OpExporter = (ctx, node) => {
  const [a, b] = node.inputs as [string, string];
  if (!isFloatValue(ctx, a)) {
    ctx.node("Mod", [a, b], node.outputs, { fmod: 0 });
    return;
  }
  const q = ctx.temp("Floor", [ctx.temp("Div", [a, b])]);
  ctx.node("Sub", [a, ctx.temp("Mul", [q, b])], node.outputs);
};

const rsqrt: OpExporter = (ctx, node) => ctx.node("Reciprocal", [ctx.temp("Sqrt", [node.inputs[0]!])], node.outputs);
/** ONNX Softplus has no beta: softplus(x; beta) = Softplus(beta * x) / beta. */
const softplus: OpExporter = (ctx, node) => {
  const beta = num(node.attrs, "beta", 1);
  const x = node.inputs[0]!;
  if (beta === 1) return ctx.node("Softplus", [x], node.outputs);
  const dtype = ctx.info(x)?.dtype ?? "float32";
  const scaled = ctx.temp("Softplus", [ctx.temp("Mul", [x, ctx.constant([beta], [], dtype)])]);
  ctx.node("Div", [scaled, ctx.constant([beta], [], dtype)], node.outputs);
};
const notEqual: OpExporter = (ctx, node) => ctx.node("Not", [ctx.temp("Equal", node.inputs)], node.outputs);

/** scatterAdd is ScatterElements with reduction "add" (opset 16); ONNX wants updates shaped like the indices. */
const scatterAdd: OpExporter = (ctx, node) => {
  const [x, idx, src] = node.inputs as [string, string, string];
  const i = ctx.info(idx)?.shape;
  const s = ctx.info(src)?.shape;
  let updates = src;
  if (!i || !s) throw new UnsupportedOpError(`scatterAdd: export needs static shapes`);
  if (i.some((d, k) => d !== s[k])) {
    if ([...i, ...s].some((d) => typeof d !== "number")) throw new UnsupportedOpError(`scatterAdd: export needs static shapes`);
    updates = ctx.temp("Slice", [src, ctx.int64(i.map(() => 0)), ctx.int64(i as number[])]);
  }
  ctx.node("ScatterElements", [x, idx, updates], node.outputs, { axis: num(node.attrs, "axis", 0), reduction: "add" });
};

const gather =
  (opType: string): OpExporter =>
  (ctx, node) =>
    ctx.node(opType, node.inputs, node.outputs, { axis: num(node.attrs, "axis", 0) });

// ---- structural ops ----

/** A structural op's list argument: its attribute, or its int32 input cast to int64. */
function int64Arg(ctx: ExportContext, node: GraphNode, index: number, attr: string): string | undefined {
  const input = node.inputs[index];
  if (input) return ctx.toInt64(input);
  const v = list(node.attrs, attr);
  return v ? ctx.int64(v) : undefined;
}

const reshape: OpExporter = (ctx, node) => {
  const shape = int64Arg(ctx, node, 1, "shape");
  if (!shape) throw new ShapeError(`reshape: no target shape`);
  ctx.node("Reshape", [node.inputs[0]!, shape], node.outputs, node.attrs.allowZero ? { allowzero: 1 } : {});
};

const permute: OpExporter = (ctx, node) =>
  ctx.node("Transpose", [node.inputs[0]!], node.outputs, list(node.attrs, "dims") ? { perm: list(node.attrs, "dims") } : {});

const slice: OpExporter = (ctx, node) => {
  const args = [int64Arg(ctx, node, 1, "starts"), int64Arg(ctx, node, 2, "ends"), int64Arg(ctx, node, 3, "axes"), int64Arg(ctx, node, 4, "steps")];
  while (args.length > 2 && args[args.length - 1] === undefined) args.pop();
  ctx.node("Slice", [node.inputs[0]!, ...args.map((a) => a ?? "")], node.outputs);
};

const expand: OpExporter = (ctx, node) => ctx.node("Expand", [node.inputs[0]!, int64Arg(ctx, node, 1, "shape")!], node.outputs);

const squeeze: OpExporter = (ctx, node) => {
  const axes = int64Arg(ctx, node, 1, "axes");
  ctx.node("Squeeze", axes ? [node.inputs[0]!, axes] : [node.inputs[0]!], node.outputs);
};

const unsqueeze: OpExporter = (ctx, node) => ctx.node("Unsqueeze", [node.inputs[0]!, int64Arg(ctx, node, 1, "axes")!], node.outputs);

const flatten: OpExporter = (ctx, node) => ctx.node("Flatten", [node.inputs[0]!], node.outputs, { axis: num(node.attrs, "axis", 1) });

const shape: OpExporter = (ctx, node) => {
  const s = ctx.temp("Shape", [node.inputs[0]!], {
    ...(node.attrs.start !== undefined ? { start: num(node.attrs, "start", 0) } : {}),
    ...(node.attrs.end !== undefined ? { end: num(node.attrs, "end", 0) } : {}),
  });
  ctx.node("Cast", [s], node.outputs, { to: DataType.INT32 });
};

const size: OpExporter = (ctx, node) => ctx.node("Cast", [ctx.temp("Size", [node.inputs[0]!])], node.outputs, { to: DataType.INT32 });

const split: OpExporter = (ctx, node) => {
  const sizes = int64Arg(ctx, node, 1, "sizes");
  // Since opset 18 an equal split states its number of outputs.
  const count = !sizes && ctx.opset >= 18 ? { num_outputs: node.outputs.length } : {};
  ctx.node("Split", sizes ? [node.inputs[0]!, sizes] : [node.inputs[0]!], node.outputs, { axis: num(node.attrs, "axis", 0), ...count });
};

const constant: OpExporter = (ctx, node) => {
  const dtype = (node.attrs.dtype as Parameters<typeof onnxElemType>[0]) ?? "float32";
  const values = list(node.attrs, "value") ?? (typeof node.attrs.value === "number" ? [node.attrs.value] : []);
  ctx.node("Constant", [], node.outputs, { value: { tensor: ctx.tensor(values, list(node.attrs, "shape") ?? [], dtype) } });
};

const refuse =
  (why: string): OpExporter =>
  (_ctx, node) => {
    throw new UnsupportedOpError(`${node.op}: ${why}`);
  };

/** Every graph op Polychip writes to ONNX, by name: the one registration table. */
export const OP_EXPORTERS: Readonly<Record<string, OpExporter>> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, v]) => [k, same(v)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([k, v]) => [k, same(v)])),
  rsqrt,
  notEqual,
  mod,
  fmod: (ctx, node) => ctx.node("Mod", node.inputs, node.outputs, { fmod: 1 }),
  cast,
  fill,
  reduceSum: reduce("ReduceSum"),
  reduceProd: reduce("ReduceProd"),
  reduceMax: reduce("ReduceMax"),
  reduceMin: reduce("ReduceMin"),
  argMax: argReduce("ArgMax"),
  argMin: argReduce("ArgMin"),
  argsort,
  matmul,
  gather: gather("Gather"),
  gatherElements: gather("GatherElements"),
  scatterAdd,
  conv2d,
  conv2dGradInput,
  maxPool2d: pool("MaxPool"),
  avgPool2d: pool("AveragePool"),
  softmax: softmax("Softmax"),
  softplus,
  logSoftmax: softmax("LogSoftmax"),
  layerNorm,
  batchNorm,
  pad,
  concat,
  randomUniform: refuse("ONNX random ops use another generator; export the graph after sampling"),
  randomNormal: refuse("ONNX random ops use another generator; export the graph after sampling"),
  conv2dGradWeight: refuse("a training-only op with no ONNX counterpart"),
  maxPool2dGrad: refuse("a training-only op with no ONNX counterpart"),
  avgPool2dGrad: refuse("a training-only op with no ONNX counterpart"),
  reshape,
  permute,
  slice,
  expand,
  squeeze,
  unsqueeze,
  flatten,
  identity: same("Identity"),
  constant,
  shape,
  size,
  split,
  ...RECURRENT_EXPORTERS,
};
