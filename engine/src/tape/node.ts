import type { Attrs, DType } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { isGradEnabled } from "./grad-mode.ts";

/** What an input looked like when the op ran: rules read it even after the input was disposed. */
export interface InputMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: string;
  readonly requiresGrad: boolean;
}

/**
 * One recorded operation: which op ran, on what, with which attributes. The backward rule is not
 * stored here: autograd looks it up by `op` in its gradient table, so the same record can later be
 * replayed into a backward graph.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly inputMetas: readonly InputMeta[];
  /** Each input's version when the op ran: backward refuses inputs changed in place since. */
  readonly inputVersions: readonly number[];
  readonly attrs: Attrs;
  readonly output: Tensor;
}

const versions = new WeakMap<Tensor, number>();

/** How many in-place changes `t` has had (PyTorch's `_version`). */
export function tensorVersion(t: Tensor): number {
  return versions.get(t) ?? 0;
}

/** Called by every in-place op after it changed `t`. */
export function bumpVersion(t: Tensor): void {
  versions.set(t, tensorVersion(t) + 1);
}

/** Ops whose outputs carry no gradient even from float inputs (PyTorch treats them as constants). */
const constantOps = new Set<string>();

/** Declares ops through which no gradient flows; autograd's gradient table fills this at load. */
export function declareNonDifferentiable(ops: Iterable<string>): void {
  for (const op of ops) constantOps.add(op);
}

export function needsGrad(inputs: readonly Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/**
 * Records `output = op(inputs)` for autograd when an input requires a gradient and the output is a
 * float tensor (integer and bool results never carry gradients). Returns `output`.
 */
export function recordGradient(op: string, output: Tensor, inputs: readonly Tensor[], attrs: Attrs): Tensor {
  if (!needsGrad(inputs) || constantOps.has(op)) return output;
  if (output.dtype !== "float32" && output.dtype !== "float16") return output;
  output.requiresGrad = true;
  output.gradFn = {
    op,
    inputs,
    inputMetas: inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, device: t.device, requiresGrad: t.requiresGrad })),
    inputVersions: inputs.map(tensorVersion),
    attrs,
    output,
  };
  return output;
}

type BackwardFn = (root: Tensor, grad?: Tensor, options?: { retainGraph?: boolean }) => void;
let backwardImpl: BackwardFn | undefined;

/** autograd/backward.ts installs the reverse walk here, so Tensor can offer backward() without importing it. */
export function installBackward(fn: BackwardFn): void {
  backwardImpl = fn;
}

export function runBackward(root: Tensor, grad?: Tensor, options?: { retainGraph?: boolean }): void {
  if (!backwardImpl) throw new Error("backward: autograd is not loaded; import it from '@polychip/engine'");
  backwardImpl(root, grad, options);
}
