import type { Attrs } from "../device.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { describeTensors, formatShape, normalizeAxis, shapesEqual } from "../shape.ts";
import { listAttr, numAttr } from "./attrs.ts";
import { DECOMPOSITIONS } from "./decompositions/index.ts";
import { epilogueOps } from "./epilogue.ts";
import { FUSED_OP } from "./fused.ts";
import { PRIMITIVES } from "./primitives.ts";
import { conv2dGeometry, window2d } from "./window2d.ts";
export { conv2dGeometry, window2d, type Conv2dGeometry, type Window2d } from "./window2d.ts";
import type { OpDef, TensorMeta } from "./types.ts";

const describe = describeTensors;

function composite(name: string, inputs: [number, number], doc: string, infer: OpDef["infer"]): OpDef {
  const decompose = DECOMPOSITIONS[name];
  if (!decompose) throw new Error(`HAL bug: composite ${name} has no reference decomposition`);
  return { name, kind: "composite", family: "nn", inputs, doc, infer, decompose };
}

function requireFloat(op: string, ins: readonly TensorMeta[]): void {
  for (const m of ins) {
    if (m.dtype !== "float32" && m.dtype !== "float16") throw new DTypeError(`${op}: expects float tensors, got ${describe(ins)}`);
  }
}

function rank4(op: string, m: TensorMeta, what: string): void {
  if (m.shape.length !== 4) throw new ShapeError(`${op}: ${what} must be 4-D (NCHW), got ${m.dtype}${formatShape(m.shape)}`);
}

function convOut(op: string, x: TensorMeta, w: TensorMeta, attrs: Attrs): number[] {
  const g = conv2dGeometry(op, x.shape, w.shape, attrs);
  return [g.N, g.OC, g.win.oh, g.win.ow];
}

function poolOut(op: string, x: TensorMeta, attrs: Attrs): number[] {
  rank4(op, x, "input");
  const [kh, kw] = listAttr(op, attrs, "kernel") as [number, number];
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const win = window2d(op, h, w, kh, kw, attrs);
  return [n, c, win.oh, win.ow];
}

/** The channel count (dim 1) of a batch-norm input of rank >= 2. */
function channelsOf(op: string, x: TensorMeta): number {
  if (x.shape.length < 2) throw new ShapeError(`${op}: x must be [N, C, ...], got ${x.dtype}${formatShape(x.shape)}`);
  return x.shape[1]!;
}

function perChannel(op: string, m: TensorMeta, c: number, ins: readonly TensorMeta[]): void {
  if (m.shape.length !== 1 || m.shape[0] !== c) throw new ShapeError(`${op}: per-channel inputs must be [${c}], got ${describe(ins)}`);
}

/** y (x's shape), mean [C] and variance [C] of a training batch norm over x, scale [C], bias [C]. */
function batchNormTrainingOutputs(op: string, ins: readonly TensorMeta[]): TensorMeta[] {
  requireFloat(op, ins);
  const c = channelsOf(op, ins[0]!);
  for (const m of ins.slice(1)) perChannel(op, m, c, ins);
  const stat = { shape: [c], dtype: ins[0]!.dtype };
  return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }, stat, stat];
}

/** dx (x's shape), dscale [C] and dbias [C] of a training batch-norm gradient over gradY, x and per-channel inputs. */
function batchNormGradOutputs(op: string, ins: readonly TensorMeta[]): TensorMeta[] {
  requireFloat(op, ins);
  const c = channelsOf(op, ins[1]!);
  if (!shapesEqual(ins[0]!.shape, ins[1]!.shape)) throw new ShapeError(`${op}: gradY must have x's shape, got ${describe(ins)}`);
  for (const m of ins.slice(2)) perChannel(op, m, c, ins);
  const stat = { shape: [c], dtype: ins[1]!.dtype };
  return [{ shape: ins[1]!.shape, dtype: ins[1]!.dtype }, stat, stat];
}

const BASE_COMPOSITES: readonly OpDef[] = [
  composite("conv2d", [2, 3], "x[N,C,H,W] * w[OC,C/groups,KH,KW] (+ bias[OC]); attrs strides, pads [t,l,b,r], dilations, groups", (ins, attrs) => {
    requireFloat("conv2d", ins);
    const shape = convOut("conv2d", ins[0]!, ins[1]!, attrs);
    if (ins[2] && (ins[2].shape.length !== 1 || ins[2].shape[0] !== shape[1]))
      throw new ShapeError(`conv2d: bias must be [${shape[1]}], got ${formatShape(ins[2].shape)}`);
    return [{ shape, dtype: ins[0]!.dtype }];
  }),
  composite(
    "conv2dNhwc",
    [2, 3],
    "conv2d with channels-last activations: x[N,H,W,C] * w[OC,C/groups,KH,KW] (+ bias[OC]) → [N,OH,OW,OC]; attrs as conv2d (HAL 1.6)",
    (ins, attrs) => {
      requireFloat("conv2dNhwc", ins);
      const x = ins[0]!;
      if (x.shape.length !== 4) throw new ShapeError(`conv2dNhwc: input must be 4-D (NHWC), got ${x.dtype}${formatShape(x.shape)}`);
      const [n, h, w, c] = x.shape as [number, number, number, number];
      const [, oc, oh, ow] = convOut("conv2dNhwc", { dtype: x.dtype, shape: [n, c, h, w] }, ins[1]!, attrs);
      if (ins[2] && (ins[2].shape.length !== 1 || ins[2].shape[0] !== oc))
        throw new ShapeError(`conv2dNhwc: bias must be [${oc}], got ${formatShape(ins[2].shape)}`);
      return [{ shape: [n, oh!, ow!, oc!], dtype: x.dtype }];
    },
  ),
  composite("conv2dGradInput", [2, 2], "gradient of conv2d w.r.t. x: inputs gradOut, w; attrs as conv2d plus inputShape", (ins, attrs) => {
    requireFloat("conv2dGradInput", ins);
    return [{ shape: listAttr("conv2dGradInput", attrs, "inputShape"), dtype: ins[0]!.dtype }];
  }),
  composite("conv2dGradWeight", [2, 2], "gradient of conv2d w.r.t. w: inputs x, gradOut; attrs as conv2d plus weightShape", (ins, attrs) => {
    requireFloat("conv2dGradWeight", ins);
    return [{ shape: listAttr("conv2dGradWeight", attrs, "weightShape"), dtype: ins[0]!.dtype }];
  }),
  composite("maxPool2d", [1, 1], "max over windows; padding never wins; attrs kernel, strides, pads, dilations, ceilMode", (ins, attrs) => {
    requireFloat("maxPool2d", ins);
    return [{ shape: poolOut("maxPool2d", ins[0]!, attrs), dtype: ins[0]!.dtype }];
  }),
  composite("maxPool2dGrad", [2, 2], "gradient of maxPool2d: inputs x, gradOut; the gradient goes to the first max of each window", (ins) => {
    requireFloat("maxPool2dGrad", ins);
    return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }];
  }),
  composite("avgPool2d", [1, 1], "mean over windows; attrs kernel, strides, pads, ceilMode, countIncludePad", (ins, attrs) => {
    requireFloat("avgPool2d", ins);
    return [{ shape: poolOut("avgPool2d", ins[0]!, attrs), dtype: ins[0]!.dtype }];
  }),
  composite("avgPool2dGrad", [1, 1], "gradient of avgPool2d: input gradOut; attrs as avgPool2d plus inputShape", (ins, attrs) => {
    requireFloat("avgPool2dGrad", ins);
    return [{ shape: listAttr("avgPool2dGrad", attrs, "inputShape"), dtype: ins[0]!.dtype }];
  }),
  composite("softmax", [1, 1], "exp(x - max) / sum along attrs.axis", (ins, attrs) => {
    requireFloat("softmax", ins);
    normalizeAxis("softmax", numAttr("softmax", attrs, "axis", -1), ins[0]!.shape.length);
    return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }];
  }),
  composite("softplus", [1, 1], "log(1 + exp(beta * x)) / beta, elementwise; attrs beta (default 1)", (ins, attrs) => {
    requireFloat("softplus", ins);
    if (!(numAttr("softplus", attrs, "beta", 1) > 0)) throw new ShapeError(`softplus: beta must be positive, got ${attrs.beta}`);
    return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }];
  }),
  composite("logSoftmax", [1, 1], "x - max - log(sum(exp(x - max))) along attrs.axis", (ins, attrs) => {
    requireFloat("logSoftmax", ins);
    normalizeAxis("logSoftmax", numAttr("logSoftmax", attrs, "axis", -1), ins[0]!.shape.length);
    return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }];
  }),
  composite("layerNorm", [1, 3], "normalise over dims attrs.axis.. (default -1) with attrs.epsilon, then * weight + bias", (ins, attrs) => {
    requireFloat("layerNorm", ins);
    normalizeAxis("layerNorm", numAttr("layerNorm", attrs, "axis", -1), ins[0]!.shape.length);
    return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }];
  }),
  composite("batchNorm", [5, 5], "inference batch norm over channel dim 1: (x - mean) / sqrt(var + epsilon) * scale + bias", (ins) => {
    requireFloat("batchNorm", ins);
    const c = ins[0]!.shape[1];
    for (const m of ins.slice(1)) {
      if (m.shape.length !== 1 || m.shape[0] !== c) throw new ShapeError(`batchNorm: scale/bias/mean/var must be [${c}], got ${describe(ins)}`);
    }
    return [{ shape: ins[0]!.shape, dtype: ins[0]!.dtype }];
  }),
  composite(
    "batchNormTraining",
    [3, 3],
    "training batch norm over channel dim 1: inputs x, scale [C], bias [C]; outputs y, the batch's mean [C] and biased variance [C]",
    (ins) => batchNormTrainingOutputs("batchNormTraining", ins),
  ),
  composite(
    "batchNormTrainingRelu",
    [3, 3],
    "batchNormTraining with relu applied to y (a batch norm then relu, as a compiled step runs them): outputs relu(y), mean [C], biased variance [C]",
    (ins) => batchNormTrainingOutputs("batchNormTrainingRelu", ins),
  ),
  composite(
    "batchNormTrainingGrad",
    [5, 5],
    "gradient of batchNormTraining: inputs gradY, x, scale, mean, variance (the forward's); outputs dx, dscale [C], dbias [C]",
    (ins) => batchNormGradOutputs("batchNormTrainingGrad", ins),
  ),
  composite(
    "batchNormTrainingReluGrad",
    [6, 6],
    "gradient of batchNormTrainingRelu: inputs gradY (of relu(y)), x, scale, bias, mean, variance (the forward's); the relu mask is batchNorm(x) > 0; outputs dx, dscale [C], dbias [C]",
    (ins) => batchNormGradOutputs("batchNormTrainingReluGrad", ins),
  ),
  composite("pad", [1, 1], "attrs.pads [begin_0.., end_0..] (negative crops), attrs.mode constant|reflect|edge, attrs.value", (ins, attrs) => {
    const x = ins[0]!;
    const pads = listAttr("pad", attrs, "pads");
    const r = x.shape.length;
    if (pads.length !== 2 * r) throw new ShapeError(`pad: pads must have ${2 * r} entries for input ${formatShape(x.shape)}, got ${pads.length}`);
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
    if (shape.some((d) => d < 0)) throw new ShapeError(`pad: pads ${formatShape(pads)} crop input ${formatShape(x.shape)} below zero`);
    return [{ shape, dtype: x.dtype }];
  }),
  composite("argsort", [1, 1], "int32 indices that sort x along attrs.axis (-1): stable, NaN largest, attrs.descending (false)", (ins, attrs) => {
    const x = ins[0]!;
    if (x.shape.length === 0) throw new ShapeError(`argsort: needs at least 1 dim, got a scalar ${x.dtype}${formatShape(x.shape)}`);
    normalizeAxis("argsort", numAttr("argsort", attrs, "axis", -1), x.shape.length);
    return [{ shape: x.shape, dtype: "int32" }];
  }),
  composite("concat", [1, Infinity], "joins inputs along attrs.axis", (ins, attrs) => {
    const first = ins[0]!;
    const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), first.shape.length);
    let total = 0;
    for (const m of ins) {
      if (m.dtype !== first.dtype || m.shape.length !== first.shape.length || m.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new ShapeError(`concat: inputs must match except on axis ${axis}, got ${describe(ins)}`);
      }
      total += m.shape[axis]!;
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return [{ shape, dtype: first.dtype }];
  }),
  FUSED_OP,
];

/** The GEMMs an epilogue op may run first (conv2d, matmul), by name. */
const gemmOf = (name: string): OpDef => [...PRIMITIVES, ...BASE_COMPOSITES].find((d) => d.name === name)!;

export const COMPOSITES: readonly OpDef[] = [...BASE_COMPOSITES, ...epilogueOps(gemmOf)];
