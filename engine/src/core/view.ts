import { isContiguous, type DType, type TensorView } from "@polychip/hal";
import type { Storage } from "./storage.ts";

/** A strided window on a storage: the engine-side twin of the HAL's TensorView. */
export interface RawView {
  readonly storage: Storage;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export function toKernelView(v: RawView): TensorView {
  return { buffer: v.storage.buffer, dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset };
}

export function viewIsContiguous(v: RawView): boolean {
  return isContiguous(v.shape, v.strides);
}
