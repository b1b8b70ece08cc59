import { PolychipError } from "@polychip/hal";
import { findKernel, getDeviceEntry } from "../core/devices.ts";
import { Tensor } from "../tensor.ts";

/**
 * The autocast state and torch's op lists (torch.amp's "lower precision" and "float32" lists),
 * applied where the ops are defined, so a functional call and an nn layer behave alike. An op runs
 * its inner ops with autocast suspended, as torch excludes its autocast key inside an autocast
 * kernel: only the outermost listed op decides the dtypes.
 */
let active: "float16" | undefined;
let suspendedDepth = 0;

/** Sets the autocast dtype for the duration of `fn` (nn/autocast.ts's `autocast` is the public face). */
export function withAutocast<T>(dtype: "float16" | undefined, fn: () => T): T {
  const previous = [active, suspendedDepth] as const;
  active = dtype;
  suspendedDepth = 0;
  try {
    return fn();
  } finally {
    [active, suspendedDepth] = previous;
  }
}

/** Whether a listed op called now should change its inputs' dtypes. */
export function autocasting(): boolean {
  return active !== undefined && suspendedDepth === 0;
}

/** Runs `fn` with autocast suspended: an op's insides, and every gradient rule (torch never autocasts backward). */
export function withoutAutocast<T>(fn: () => T): T {
  suspendedDepth++;
  try {
    return fn();
  } finally {
    suspendedDepth--;
  }
}

/** Tensors among an op's arguments: positional, in arrays (einsum operands) and in an options object (attention masks). */
function mapTensors(args: readonly unknown[], change: (t: Tensor) => Tensor): unknown[] {
  const one = (v: unknown): unknown => (v instanceof Tensor ? change(v) : v);
  return args.map((a) => {
    if (a instanceof Tensor) return change(a);
    if (Array.isArray(a)) return a.map(one);
    if (a && typeof a === "object" && Object.getPrototypeOf(a) === Object.prototype)
      return Object.fromEntries(Object.entries(a as Record<string, unknown>).map(([k, v]) => [k, one(v)]));
    return a;
  });
}

function firstTensor(args: readonly unknown[]): Tensor | undefined {
  for (const a of args) {
    if (a instanceof Tensor) return a;
    if (Array.isArray(a) && a[0] instanceof Tensor) return a[0];
  }
  return undefined;
}

/**
 * torch's lower-precision list (matmul, linear, bmm, conv1d/2d, convTranspose2d, attention): float32
 * inputs are cast to float16 and the result stays float16 — when the device has a float16 kernel
 * for `kernelOp`; otherwise the op runs in its own dtypes. Casts are recorded ops, so gradients
 * reach the float32 master weights.
 */
export function inFloat16<A extends unknown[]>(kernelOp: string, fn: (...args: A) => Tensor, ...args: A): Tensor {
  const first = firstTensor(args);
  const eligible = first && findKernel(getDeviceEntry(first.device), kernelOp, active!);
  const cast = eligible ? (mapTensors(args, (t) => (t.dtype === "float32" ? t.cast(active!) : t)) as A) : args;
  return withoutAutocast(() => fn(...cast));
}

/** torch's float32 list (sum, prod, cumsum, cumprod, norm, exp, log, pow, softmax, logSoftmax, layerNorm, groupNorm, softplus, the losses): float16 inputs are computed in float32. */
export function inFloat32<A extends unknown[]>(fn: (...args: A) => Tensor, ...args: A): Tensor {
  const cast = mapTensors(args, (t) => (t.dtype === "float16" ? t.cast("float32") : t)) as A;
  return withoutAutocast(() => fn(...cast));
}

/** torch refuses these under autocast: their float16 forms are unsafe and a float32 cast would hide it. */
export function refuseUnderAutocast(op: string, instead: string): void {
  if (autocasting()) throw new PolychipError(`${op} is unsafe to autocast (float16 saturates); use ${instead}, which is safe under autocast`);
}
