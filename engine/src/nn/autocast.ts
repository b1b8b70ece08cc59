import { PolychipError } from "@polychip/hal";
import { findKernel, getDeviceEntry } from "../core/devices.ts";
import type { Tensor } from "../tensor.ts";

let active: "float16" | undefined;

/**
 * Runs `fn` with autocast on: the nn layers that do matmuls and convolutions (Linear, Conv1d, Conv2d,
 * ConvTranspose2d, MultiheadAttention's projections) compute in float16 on devices with float16
 * kernels for the op, reading float32 weights (the master copy) through a cast, and hand float32
 * back. Gradients flow through the casts, so the optimiser updates float32 weights. Pair with
 * optim.GradScaler so small float16 gradients do not underflow.
 */
export function autocast<T>(fn: () => T, opts: { enabled?: boolean; dtype?: "float16" } = {}): T {
  const dtype = opts.dtype ?? "float16";
  if (dtype !== "float16") throw new PolychipError(`autocast: only float16 is supported, got ${String(dtype)}`);
  const previous = active;
  active = opts.enabled === false ? undefined : dtype;
  try {
    const out = fn();
    if (out instanceof Promise) throw new PolychipError("autocast: the callback must be synchronous (await outside autocast)");
    return out;
  } finally {
    active = previous;
  }
}

export function isAutocastEnabled(): boolean {
  return active !== undefined;
}

/** `compute` on float16 copies of the float32 inputs when autocast is on and `op` has a float16 kernel on their device; float32 out. */
export function autocastOp(op: string, inputs: (Tensor | undefined)[], compute: (...xs: (Tensor | undefined)[]) => Tensor): Tensor {
  const first = inputs[0]!;
  if (!active || first.dtype !== "float32" || !findKernel(getDeviceEntry(first.device), op, active)) return compute(...inputs);
  const dtype = active;
  const half = inputs.map((t) => (t && t.dtype === "float32" ? t.cast(dtype) : t));
  return compute(...half).cast("float32");
}
