import type { Decomposition } from "../types.ts";

const pending = (name: string): Decomposition => () => {
  throw new Error(`decomposition of ${name} is being written`);
};

/** The reference decomposition of every composite op into primitives, by op name. */
export const DECOMPOSITIONS: Record<string, Decomposition> = Object.fromEntries(
  ["conv2d", "conv2dGradInput", "conv2dGradWeight", "maxPool2d", "maxPool2dGrad", "avgPool2d", "avgPool2dGrad", "softmax", "logSoftmax", "layerNorm", "batchNorm", "pad", "concat"].map((n) => [n, pending(n)]),
);
