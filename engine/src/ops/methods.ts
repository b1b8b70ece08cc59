import type { DType } from "@polychip/hal";
import { Tensor, type TensorLike } from "../tensor.ts";
import * as ops from "./index.ts";

/**
 * The eager ops as Tensor methods (`x.add(y)`), installed on Tensor's prototype here so that
 * tensor.ts never imports the ops (which import it): tfjs's chained-op pattern.
 */
class TensorMethods {
  detach(this: Tensor): Tensor {
    return ops.detach(this);
  }

  // ---- devices and dtypes ----
  to(this: Tensor, device: string): Tensor {
    return ops.toDevice(this, device);
  }
  cast(this: Tensor, dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  float(this: Tensor): Tensor {
    return ops.cast(this, "float32");
  }
  int(this: Tensor): Tensor {
    return ops.cast(this, "int32");
  }
  clone(this: Tensor): Tensor {
    return ops.clone(this);
  }
  contiguous(this: Tensor): Tensor {
    return ops.contiguous(this);
  }

  // ---- views ----
  reshape(this: Tensor, ...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flatArgs(shape));
  }
  view_(this: Tensor, ...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flatArgs(shape));
  }
  flatten(this: Tensor, startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  squeeze(this: Tensor, dim?: number): Tensor {
    return ops.squeeze(this, dim);
  }
  unsqueeze(this: Tensor, dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  permute(this: Tensor, ...dims: number[] | [readonly number[]]): Tensor {
    return ops.permute(this, flatArgs(dims));
  }
  transpose(this: Tensor, dim0 = -2, dim1 = -1): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  get T(): Tensor {
    return ops.transpose(this as unknown as Tensor, -2, -1);
  }
  slice(this: Tensor, dim: number, start: number, end: number, step = 1): Tensor {
    return ops.slice(this, dim, start, end, step);
  }
  select(this: Tensor, dim: number, index: number): Tensor {
    return ops.select(this, dim, index);
  }
  expand(this: Tensor, ...shape: number[] | [readonly number[]]): Tensor {
    return ops.expand(this, flatArgs(shape));
  }

  // ---- arithmetic ----
  add(this: Tensor, o: TensorLike): Tensor {
    return ops.add(this, o);
  }
  sub(this: Tensor, o: TensorLike): Tensor {
    return ops.sub(this, o);
  }
  mul(this: Tensor, o: TensorLike): Tensor {
    return ops.mul(this, o);
  }
  div(this: Tensor, o: TensorLike): Tensor {
    return ops.div(this, o);
  }
  pow(this: Tensor, o: TensorLike): Tensor {
    return ops.pow(this, o);
  }
  maximum(this: Tensor, o: TensorLike): Tensor {
    return ops.maximum(this, o);
  }
  minimum(this: Tensor, o: TensorLike): Tensor {
    return ops.minimum(this, o);
  }
  mod(this: Tensor, o: TensorLike): Tensor {
    return ops.mod(this, o);
  }
  neg(this: Tensor): Tensor {
    return ops.neg(this);
  }
  abs(this: Tensor): Tensor {
    return ops.abs(this);
  }
  sign(this: Tensor): Tensor {
    return ops.sign(this);
  }
  exp(this: Tensor): Tensor {
    return ops.exp(this);
  }
  log(this: Tensor): Tensor {
    return ops.log(this);
  }
  sqrt(this: Tensor): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(this: Tensor): Tensor {
    return ops.rsqrt(this);
  }
  reciprocal(this: Tensor): Tensor {
    return ops.reciprocal(this);
  }
  sin(this: Tensor): Tensor {
    return ops.sin(this);
  }
  cos(this: Tensor): Tensor {
    return ops.cos(this);
  }
  tanh(this: Tensor): Tensor {
    return ops.tanh(this);
  }
  sigmoid(this: Tensor): Tensor {
    return ops.sigmoid(this);
  }
  relu(this: Tensor): Tensor {
    return ops.relu(this);
  }
  gelu(this: Tensor): Tensor {
    return ops.gelu(this);
  }
  erf(this: Tensor): Tensor {
    return ops.erf(this);
  }
  floor(this: Tensor): Tensor {
    return ops.floor(this);
  }
  ceil(this: Tensor): Tensor {
    return ops.ceil(this);
  }
  round(this: Tensor): Tensor {
    return ops.round(this);
  }
  square(this: Tensor): Tensor {
    return ops.mul(this, this);
  }
  clamp(this: Tensor, min?: number, max?: number): Tensor {
    return ops.clamp(this, min, max);
  }

  // ---- comparisons ----
  eq(this: Tensor, o: TensorLike): Tensor {
    return ops.eq(this, o);
  }
  ne(this: Tensor, o: TensorLike): Tensor {
    return ops.ne(this, o);
  }
  lt(this: Tensor, o: TensorLike): Tensor {
    return ops.lt(this, o);
  }
  le(this: Tensor, o: TensorLike): Tensor {
    return ops.le(this, o);
  }
  gt(this: Tensor, o: TensorLike): Tensor {
    return ops.gt(this, o);
  }
  ge(this: Tensor, o: TensorLike): Tensor {
    return ops.ge(this, o);
  }

  // ---- reductions ----
  sum(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.sum(this, dims, keepDims);
  }
  mean(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.mean(this, dims, keepDims);
  }
  prod(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.prod(this, dims, keepDims);
  }
  max(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.max(this, dims, keepDims);
  }
  min(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.min(this, dims, keepDims);
  }
  var(this: Tensor, dims?: number | number[], keepDims = false, unbiased = true): Tensor {
    return ops.variance(this, dims, keepDims, unbiased);
  }
  argmax(this: Tensor, dim: number, keepDims = false): Tensor {
    return ops.argmax(this, dim, keepDims);
  }
  argmin(this: Tensor, dim: number, keepDims = false): Tensor {
    return ops.argmin(this, dim, keepDims);
  }
  logsumexp(this: Tensor, dim: number, keepDims = false): Tensor {
    return ops.logsumexp(this, dim, keepDims);
  }

  // ---- linear algebra and nn ----
  matmul(this: Tensor, o: Tensor): Tensor {
    return ops.matmul(this, o);
  }
  softplus(this: Tensor, beta = 1): Tensor {
    return ops.softplus(this, beta);
  }
  softmax(this: Tensor, dim = -1): Tensor {
    return ops.softmax(this, dim);
  }

  // ---- PyTorch-parity ops ----
  maskedFill(this: Tensor, mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  triu(this: Tensor, diagonal = 0): Tensor {
    return ops.triu(this, diagonal);
  }
  tril(this: Tensor, diagonal = 0): Tensor {
    return ops.tril(this, diagonal);
  }
  sort(this: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
    return ops.sort(this, dim, descending);
  }
  argsort(this: Tensor, dim = -1, descending = false): Tensor {
    return ops.argsort(this, dim, descending);
  }
  topk(this: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
    return ops.topk(this, k, dim, largest);
  }
  cumsum(this: Tensor, dim: number): Tensor {
    return ops.cumsum(this, dim);
  }
  cumprod(this: Tensor, dim: number): Tensor {
    return ops.cumprod(this, dim);
  }
  indexSelect(this: Tensor, dim: number, index: Tensor): Tensor {
    return ops.indexSelect(this, dim, index);
  }
  repeat(this: Tensor, ...sizes: number[] | [readonly number[]]): Tensor {
    return ops.repeat(this, flatArgs(sizes));
  }
  flip(this: Tensor, ...dims: number[] | [readonly number[]]): Tensor {
    return ops.flip(this, flatArgs(dims));
  }
  roll(this: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return ops.roll(this, shifts, dims);
  }
  norm(this: Tensor, p: number | "fro" = 2, dims?: number | number[], keepDims = false): Tensor {
    return ops.norm(this, p, dims, keepDims);
  }
  multinomial(this: Tensor, numSamples: number, replacement = false): Tensor {
    return ops.multinomial(this, numSamples, replacement);
  }

  std(this: Tensor, dims?: number | number[], keepDims = false, correction: number | boolean = 1): Tensor {
    return ops.std(this, dims, keepDims, correction);
  }
  amax(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.amax(this, dims, keepDims);
  }
  amin(this: Tensor, dims?: number | number[], keepDims = false): Tensor {
    return ops.amin(this, dims, keepDims);
  }
  chunk(this: Tensor, chunks: number, dim = 0): Tensor[] {
    return ops.chunk(this, chunks, dim);
  }
  unflatten(this: Tensor, dim: number, sizes: readonly number[]): Tensor {
    return ops.unflatten(this, dim, sizes);
  }
  outer(this: Tensor, other: Tensor): Tensor {
    return ops.outer(this, other);
  }

  // ---- in place (refused while autograd needs the old values) ----
  add_(this: Tensor, other: TensorLike, alpha = 1): Tensor {
    return ops.add_(this, other, alpha);
  }
  mul_(this: Tensor, other: TensorLike): Tensor {
    return ops.mul_(this, other);
  }
  clamp_(this: Tensor, min?: number, max?: number): Tensor {
    return ops.clamp_(this, min, max);
  }
  fill_(this: Tensor, value: number): Tensor {
    return ops.fill_(this, value);
  }
  zero_(this: Tensor): Tensor {
    return ops.zero_(this);
  }
  copy_(this: Tensor, src: Tensor): Tensor {
    return ops.copy_(this, src);
  }
  logSoftmax(this: Tensor, dim = -1): Tensor {
    return ops.logSoftmax(this, dim);
  }
}

declare module "../tensor.ts" {
  interface Tensor extends TensorMethods {}
}

for (const name of Object.getOwnPropertyNames(TensorMethods.prototype)) {
  if (name !== "constructor") Object.defineProperty(Tensor.prototype, name, Object.getOwnPropertyDescriptor(TensorMethods.prototype, name)!);
}

function flatArgs(args: number[] | [readonly number[]]): number[] {
  return Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : (args as number[]);
}
