import { dtypeBytes, isContiguous, type Device, type DType } from "@polychip/hal";
import type { CpuBuffer, CpuDevice, FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";

/** The device's WASM runtime and threads, when it has them. */
export function fastPathOf(device: Device<CpuBuffer>): FastPath | undefined {
  return (device as Partial<CpuDevice>).fast;
}

/** Byte address of the view's first element in the WASM memory, or undefined when its buffer is not there. */
export function address(view: CpuView): number | undefined {
  const base = view.buffer.wasmOffset;
  return base === undefined ? undefined : base + view.offset * dtypeBytes(view.dtype);
}

/** Byte addresses of all views when every one is float32 and lives in the WASM memory. */
export function float32Addresses(views: readonly (CpuView | undefined)[]): number[] | undefined {
  const out: number[] = [];
  for (const v of views) {
    if (!v) continue;
    if (v.dtype !== "float32") return undefined;
    const a = address(v);
    if (a === undefined) return undefined;
    out.push(a);
  }
  return out;
}

export const contiguous = (v: CpuView): boolean => isContiguous(v.shape, v.strides);

/** Elements below which an elementwise kernel stays on the calling thread: waking workers costs more than it saves. */
export const PARALLEL_MIN_ELEMENTS = 1 << 16;

/** Units (rows, blocks) per chunk of a job over `total` elements: all in one below the threshold, else about two chunks per participant. */
export function chunking(path: FastPath, total: number, units: number): number {
  if (path.threads <= 1 || total < PARALLEL_MIN_ELEMENTS) return units;
  return Math.max(1, Math.ceil(units / (2 * path.threads)));
}

/**
 * A kernel that tries its WebAssembly path first and runs the reference kernel when the fast path
 * declines (wasm off, a buffer outside the WASM memory, a dtype or layout it does not handle).
 * Registered after the reference kernels, so the registry picks it for `dtypes`.
 */
export function fastKernel(
  op: string,
  reference: CpuKernel,
  fast: (call: Parameters<CpuKernel>[0], path: FastPath) => boolean,
  dtypes: readonly DType[] = ["float32"],
): CpuRegistration {
  return {
    device: "cpu",
    op,
    dtypes,
    kernel: (call, device) => {
      const path = fastPathOf(device);
      if (path && fast(call, path)) return;
      reference(call, device);
    },
  };
}

/** The reference kernel registered for `op` in `list`. */
export function referenceKernel(list: readonly CpuRegistration[], op: string): CpuKernel {
  const reg = list.find((r) => r.op === op);
  if (!reg) throw new Error(`cpu: no reference kernel for ${op}`);
  return reg.kernel;
}
