/**
 * How each fixture op name is called on the engine. A fixture case stores the op name, its attrs
 * and its inputs in order; the functions here turn those into one engine call.
 */
import {
  abs,
  add,
  argmax,
  argmin,
  avgPool2d,
  batchNorm,
  binaryCrossEntropyWithLogits,
  bmm,
  cat,
  clamp,
  conv2d,
  cos,
  crossEntropy,
  div,
  dropout,
  embedding,
  erf,
  exp,
  expand,
  gather,
  gatherElements,
  gelu,
  layerNorm,
  linear,
  log,
  logSoftmax,
  logsumexp,
  matmul,
  max,
  maximum,
  maxPool2d,
  mean,
  min,
  minimum,
  mseLoss,
  mul,
  neg,
  pad,
  permute,
  pow,
  prod,
  reciprocal,
  relu,
  reshape,
  rsqrt,
  sigmoid,
  sin,
  slice,
  softmax,
  split,
  sqrt,
  stack,
  sub,
  sum,
  tanh,
  transpose,
  variance,
  where,
  type Tensor,
} from "../index.ts";
import { binaryCrossEntropy, klDiv, l1Loss, nllLoss, smoothL1Loss } from "../ops/losses.ts";
import { argsort, cumprod, cumsum, einsum, flip, indexSelect, maskedFill, norm, repeat, roll, softplus, sort, topk, tril, triu } from "../index.ts";

import { conv1d, convTranspose2d, groupNorm, interpolate, nn as nnLayers, scaledDotProductAttention } from "../index.ts";
import { moduleCase, type Attrs, type OpFn } from "./module-case.ts";
import { PARITY2_TABLE } from "./parity2-table.ts";

const mhaOf = (a: Attrs) => new nnLayers.MultiheadAttention(a.embedDim, a.numHeads, { batchFirst: a.batchFirst });
const layerConfig = (a: Attrs) => ({ dimFeedforward: 12, dropout: 0, batchFirst: true, normFirst: a.normFirst, activation: a.activation });
export type { OpFn } from "./module-case.ts";

type Binary = (a: Tensor | number, b: Tensor | number) => Tensor;

/** A binary op with a tensor second input, or a scalar on attrs.side ("left" means scalar op x). */
function binary(fn: Binary): OpFn {
  return ([a, b], attrs) => {
    if (attrs.scalar === undefined) return fn(a!, b!);
    return attrs.side === "left" ? fn(attrs.scalar, a!) : fn(a!, attrs.scalar);
  };
}

/** Fixture dims: null for "all dims". */
const dimsOf = (attrs: Attrs): number | number[] | undefined => attrs.dims ?? undefined;

export const OP_TABLE: Record<string, OpFn> = {
  neg: ([x]) => neg(x!),
  abs: ([x]) => abs(x!),
  exp: ([x]) => exp(x!),
  log: ([x]) => log(x!),
  sqrt: ([x]) => sqrt(x!),
  rsqrt: ([x]) => rsqrt(x!),
  reciprocal: ([x]) => reciprocal(x!),
  sin: ([x]) => sin(x!),
  cos: ([x]) => cos(x!),
  tanh: ([x]) => tanh(x!),
  sigmoid: ([x]) => sigmoid(x!),
  relu: ([x]) => relu(x!),
  gelu: ([x]) => gelu(x!),
  erf: ([x]) => erf(x!),
  clamp: ([x], a) => clamp(x!, a.min, a.max),

  add: binary(add),
  sub: binary(sub),
  mul: binary(mul),
  div: binary(div),
  pow: binary(pow),
  maximum: binary(maximum),
  minimum: binary(minimum),
  where: ([c, a, b], attrs) => where(c!, a!, attrs.scalar ?? b!),
  chain_reuse: ([x]) => add(mul(x!, x!), mul(sin(x!), x!)),

  sum: ([x], a) => sum(x!, dimsOf(a), a.keepDims),
  mean: ([x], a) => mean(x!, dimsOf(a), a.keepDims),
  max: ([x], a) => max(x!, dimsOf(a), a.keepDims),
  min: ([x], a) => min(x!, dimsOf(a), a.keepDims),
  prod: ([x], a) => prod(x!, dimsOf(a), a.keepDims),
  variance: ([x], a) => variance(x!, dimsOf(a), a.keepDims, a.unbiased),
  logsumexp: ([x], a) => logsumexp(x!, a.dim, a.keepDims),
  argmax: ([x], a) => argmax(x!, a.dim, a.keepDims),
  argmin: ([x], a) => argmin(x!, a.dim, a.keepDims),

  matmul: ([a, b]) => matmul(a!, b!),
  bmm: ([a, b]) => bmm(a!, b!),
  linear: ([x, w, b]) => linear(x!, w!, b),
  chain_mlp: ([x, w1, b1, w2, b2]) => logSoftmax(linear(gelu(linear(x!, w1!, b1)), w2!, b2), 1),

  conv2d: ([x, w, b], a) => conv2d(x!, w!, b, { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups }),
  maxPool2d: ([x], a) => maxPool2d(x!, a.kernel, { stride: a.stride ?? undefined, padding: a.padding, ceilMode: a.ceilMode }),
  avgPool2d: ([x], a) =>
    avgPool2d(x!, a.kernel, { stride: a.stride ?? undefined, padding: a.padding, ceilMode: a.ceilMode, countIncludePad: a.countIncludePad }),

  softmax: ([x], a) => softmax(x!, a.dim),
  logSoftmax: ([x], a) => logSoftmax(x!, a.dim),
  layerNorm: ([x, w, b], a) => layerNorm(x!, a.normalizedShape, w, b, a.eps),
  layerNorm_bias_only: ([x, b], a) => layerNorm(x!, a.normalizedShape, undefined, b, a.eps),
  // Outputs: y, then the running mean and variance after the call (updated in place).
  batchNorm: ([x, rm, rv, w, b], a) => [batchNorm(x!, rm, rv, w, b, a.training, a.momentum, a.eps), rm!, rv!],
  dropout: ([x], a) => dropout(x!, a.p, a.training),

  embedding: ([idx, w]) => embedding(idx!, w!),
  gather: ([x, idx], a) => gather(x!, idx!, a.dim),
  gatherElements: ([x, idx], a) => gatherElements(x!, idx!, a.dim),

  cat: (xs, a) => cat(xs, a.dim),
  stack: (xs, a) => stack(xs, a.dim),
  split: ([x], a) => split(x!, a.size, a.dim),
  pad: ([x], a) => pad(x!, a.pads, a.mode, a.value),
  slice: ([x], a) => slice(x!, a.dim, a.start, a.end, a.step),
  permute: ([x], a) => permute(x!, a.dims),
  transpose_reshape: ([x]) => reshape(transpose(x!), [2, 6]),
  expand: ([x], a) => expand(x!, a.shape),

  // Non-contiguous views fed to ops (fixture group "views").
  view_matmul_bt: ([a, b]) => matmul(a!, transpose(b!)),
  view_softmax_t: ([x]) => softmax(transpose(x!), -1),
  view_sum_permuted: ([x]) => sum(permute(x!, [2, 0, 1]), 1),
  view_add_slices: ([x]) => add(slice(x!, 1, 0, 3), mul(slice(x!, 1, 3, 6), 2)),
  view_conv_sliced: ([x, w]) => conv2d(slice(x!, 3, 1, 7), w!, undefined, { padding: 1 }),
  view_maxpool_permuted: ([x]) => maxPool2d(permute(x!, [0, 1, 3, 2]), 2),
  view_mean_expanded: ([x]) => mean(expand(x!, [3, 4]), 0),
  view_cat_transposed: ([a, b]) => cat([transpose(a!), b!], 0),
  view_layernorm_t: ([x]) => layerNorm(transpose(x!), [4]),
  view_linear_step: ([x, w, b]) => linear(slice(x!, 0, 0, 6, 2), w!, b),
  view_gather_elements_t: ([x, i]) => gatherElements(transpose(x!), i!, 1),

  crossEntropy: ([x, t, w], a) => crossEntropy(x!, t!, { weight: w, labelSmoothing: a.labelSmoothing, ignoreIndex: a.ignoreIndex, reduction: a.reduction }),
  crossEntropy_btv: ([x, t]) => crossEntropy(transpose(x!, 1, 2), t!),
  nllLoss: ([x, t, w], a) => nllLoss(x!, t!, { weight: w, reduction: a.reduction }),
  mseLoss: ([x, t], a) => mseLoss(x!, t!, { reduction: a.reduction }),
  l1Loss: ([x, t], a) => l1Loss(x!, t!, { reduction: a.reduction }),
  smoothL1Loss: ([x, t], a) => smoothL1Loss(x!, t!, { beta: a.beta, reduction: a.reduction }),
  binaryCrossEntropy: ([x, t, w], a) => binaryCrossEntropy(x!, t!, { weight: w, reduction: a.reduction }),
  binaryCrossEntropyWithLogits: ([x, t, pw], a) => binaryCrossEntropyWithLogits(x!, t!, { posWeight: a.posWeight ? pw : undefined, reduction: a.reduction }),
  conv1d: ([x, w, b], a) => conv1d(x!, w!, b, a),
  convTranspose2d: ([x, w, b], a) => convTranspose2d(x!, w!, b, a),
  groupNorm: ([x, w, b], a) => groupNorm(x!, a.numGroups, w, b, a.eps),
  batchNorm1d: moduleCase(
    1,
    (a) => new nnLayers.BatchNorm1d(a.numFeatures),
    (m, [x]) => m.call(x!),
  ),
  interpolate: ([x], a) =>
    interpolate(x!, { size: a.size ?? undefined, scaleFactor: a.scaleFactor ?? undefined, mode: a.mode, alignCorners: a.alignCorners ?? undefined }),
  embeddingPadding: moduleCase(
    1,
    (a) => new nnLayers.Embedding(a.numEmbeddings, a.dim, { paddingIdx: a.paddingIdx }),
    (m, [i]) => m.call(i!),
  ),
  sdpa: ([q, k, v, m], a) => scaledDotProductAttention(q!, k!, v!, { attnMask: m, isCausal: a.isCausal, scale: a.scale }),
  mha: moduleCase(2, mhaOf, (m, [x, mask], a) => {
    const r = m.attend(x!, x!, x!, a.batchFirst ? { keyPaddingMask: mask } : { attnMask: mask, averageAttnWeights: !a.perHead });
    return [r.output, r.weights!];
  }),
  mha_cross: moduleCase(4, mhaOf, (m, [q, k, v, mask]) => {
    const r = m.attend(q!, k!, v!, { attnMask: mask });
    return [r.output, r.weights!];
  }),
  encoderLayer: moduleCase(
    2,
    (a) => new nnLayers.TransformerEncoderLayer(8, 2, layerConfig(a)),
    (m, [x, mask], a) => m.encode(x!, a.mask ? { mask } : { srcKeyPaddingMask: mask }),
  ),
  decoderLayer: moduleCase(
    3,
    (a) => new nnLayers.TransformerDecoderLayer(8, 2, layerConfig(a)),
    (m, [t, mem, mask]) => m.decode(t!, mem!, { tgtMask: mask }),
  ),
  maskedFill: ([x, m], a) => maskedFill(x!, m!, a.value),
  softplus: ([x], a) => softplus(x!, a.beta),
  triu: ([x], a) => triu(x!, a.diagonal),
  tril: ([x], a) => tril(x!, a.diagonal),
  einsum: (xs, a) => einsum(a.equation, ...xs),
  sort: ([x], a) => sort(x!, a.dim, a.descending),
  argsort: ([x], a) => argsort(x!, a.dim, a.descending),
  topk: ([x], a) => topk(x!, a.k, a.dim, a.largest),
  cumsum: ([x], a) => cumsum(x!, a.dim),
  cumprod: ([x], a) => cumprod(x!, a.dim),
  indexSelect: ([x, i], a) => indexSelect(x!, a.dim, i!),
  repeat: ([x], a) => repeat(x!, a.sizes),
  flip: ([x], a) => flip(x!, a.dims),
  roll: ([x], a) => roll(x!, a.shifts, a.dims),
  norm: ([x], a) => norm(x!, a.p === "inf" ? Infinity : a.p, a.dims, a.keepDims),
  klDiv: ([x, t], a) => klDiv(x!, t!, { reduction: a.reduction, logTarget: a.logTarget }),
  ...PARITY2_TABLE,
};
