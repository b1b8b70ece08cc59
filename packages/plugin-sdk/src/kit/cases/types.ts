import type { Attrs, DType, OpDef } from "@polychip/hal";

/** One input of a case: its logical view and the raw contents of the buffer it views. */
export interface TensorInput {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** Buffer contents in storage order, as numbers (float16 as values, not bits). */
  readonly storage: ArrayLike<number>;
  /** How the view lies in its buffer: "contiguous", "transposed", "stepped", "broadcast". */
  readonly layout: string;
}

/** A strided destination (only `copy` writes through one); the whole buffer is compared, so stray writes fail. */
export interface OutputLayout {
  readonly strides: readonly number[];
  readonly offset: number;
  readonly storageLength: number;
  /** What the rest of the buffer holds before the kernel runs. */
  readonly fill: number;
}

export interface ConformanceCase {
  readonly name: string;
  readonly inputs: readonly TensorInput[];
  readonly attrs: Attrs;
  readonly output?: OutputLayout;
  /**
   * Magnitude of the sums the op accumulates per output element (e.g. K·max|a|·max|b| for
   * matmul): the absolute tolerance grows with it, since summation order is the device's choice.
   */
  readonly accumulation?: number;
}

export interface CaseContext {
  readonly op: OpDef;
  /** The dtype the row is about: the op's first input, or the output for ops without inputs. */
  readonly dtype: DType;
  /** Every dtype the device under test declares. */
  readonly deviceDTypes: readonly DType[];
  /** Whether non-contiguous inputs are part of the contract for this op on this device. */
  readonly stridedInputs: boolean;
}

/** Cases for one op family; an empty list means the (op, dtype) pair is not tested. */
export type CaseGenerator = (ctx: CaseContext) => ConformanceCase[];
