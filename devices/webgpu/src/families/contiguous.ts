import { KernelError, formatShape, isContiguous, type TensorView } from "@polychip/hal";

/**
 * Kernels outside the elementwise family read their inputs as contiguous (the device does not
 * declare "strided-inputs", so the engine makes them so); a strided view reaching one is an engine bug.
 */
export function requireContiguous(op: string, views: readonly (TensorView | undefined)[]): void {
  views.forEach((v, i) => {
    if (v && !isContiguous(v.shape, v.strides)) {
      throw new KernelError(`webgpu: ${op}: input ${i} (${v.dtype}${formatShape(v.shape)}, strides ${formatShape(v.strides)}) must be contiguous`);
    }
  });
}
