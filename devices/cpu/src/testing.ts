import { contiguousStrides, dtypeBytes, getOp, KernelRegistry, UnsupportedOpError, type Attrs, type DType, type HostArray, type Shape } from "@polychip/hal";
import { CpuDevice } from "./device.ts";
import type { CpuKernel } from "./kernels/registration.ts";
import { cpuKernels } from "./registrations.ts";
import { download, uploadView } from "./upload.ts";
import type { CpuView } from "./views.ts";

export { download, upload, uploadView } from "./upload.ts";

import type { HostInput } from "./upload.ts";

export type { HostInput } from "./upload.ts";

export interface HostOutput {
  readonly shape: number[];
  readonly dtype: DType;
  /** float16 comes back as float32 values. */
  readonly values: HostArray;
}

export interface RunOptions {
  readonly device?: CpuDevice;
  /**
   * For ops whose output may be a strided view of an existing buffer (copy): the destination,
   * given like an input. The result's `values` are then the destination buffer's whole contents.
   */
  readonly into?: HostInput;
  /** Launched instead of the registered kernel (a fast kernel alone, its reference one that throws). */
  readonly kernel?: CpuKernel;
}

let sharedRegistry: KernelRegistry | undefined;

function registry(): KernelRegistry {
  if (!sharedRegistry) {
    sharedRegistry = new KernelRegistry();
    sharedRegistry.registerAll(cpuKernels);
  }
  return sharedRegistry;
}

/**
 * Runs one op on the cpu device the way the engine does: inputs uploaded as views, outputs
 * inferred by the HAL and allocated contiguous, the registered kernel launched, results read back.
 */
export function runOp(op: string, inputs: readonly HostInput[], attrs: Attrs = {}, options: RunOptions = {}): HostOutput[] {
  const device = options.device ?? new CpuDevice();
  const views = inputs.map((i) => uploadView(device, i));
  const metas = getOp(op).infer(views, attrs);
  const kernel = options.kernel ?? registry().find("cpu", op, views[0]?.dtype ?? metas[0]!.dtype)?.kernel;
  if (!kernel) throw new UnsupportedOpError(`cpu has no kernel for ${op}`);
  // Every buffer made here is freed before returning (a kernel that throws leaves them to dispose).
  const release = (vs: readonly CpuView[]) => vs.forEach((v) => device.free(v.buffer));
  if (options.into) {
    const dst = uploadView(device, options.into);
    device.launch(kernel, { op, inputs: views, outputs: [dst], attrs });
    const values = download(device, dst.buffer, dst.dtype, options.into.values.length);
    release([...views, dst]);
    return [{ shape: [...dst.shape], dtype: dst.dtype, values }];
  }
  const outputs: CpuView[] = metas.map((m) => {
    const size = m.shape.reduce((a, b) => a * b, 1);
    return { buffer: device.alloc(size * dtypeBytes(m.dtype)), dtype: m.dtype, shape: m.shape, strides: contiguousStrides(m.shape), offset: 0 };
  });
  device.launch(kernel, { op, inputs: views, outputs, attrs });
  const results = outputs.map((o) => ({
    shape: [...o.shape],
    dtype: o.dtype,
    values: download(
      device,
      o.buffer,
      o.dtype,
      o.shape.reduce((a, b) => a * b, 1),
    ),
  }));
  release([...views, ...outputs]);
  return results;
}

/** runOp for single-output ops, returning the values as a plain array (handy in assertions). */
export function run(op: string, inputs: readonly HostInput[], attrs: Attrs = {}, options: RunOptions = {}): number[] {
  return Array.from(runOp(op, inputs, attrs, options)[0]!.values);
}

/** Shorthand for a HostInput. */
export function t(values: ArrayLike<number>, shape: Shape, dtype: DType = "float32", view?: { strides?: number[]; offset?: number }): HostInput {
  return { values, shape, dtype, ...view };
}
