import { noGrad } from "../tape/grad-mode.ts";
import { rand, randn } from "../ops/creation.ts";
import type { Tensor } from "../tensor.ts";

/** U(-bound, bound): PyTorch's default for Linear/Conv weights and biases uses bound = 1/sqrt(fanIn). */
export function uniform(shape: number[], bound: number, device?: string): Tensor {
  return noGrad(() => rand(shape, { low: -bound, high: bound, device }));
}

export function normal(shape: number[], std = 1, device?: string): Tensor {
  return noGrad(() => randn(shape, { std, device }));
}

export {
  calculateGain,
  fans,
  constant_,
  zeros_,
  ones_,
  uniform_,
  normal_,
  xavierUniform_,
  xavierNormal_,
  kaimingUniform_,
  kaimingNormal_,
  truncNormal_,
  orthogonal_,
  type KaimingOptions,
  type Nonlinearity,
} from "./init-inplace.ts";
