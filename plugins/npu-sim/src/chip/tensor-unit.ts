/**
 * How the tensor unit treats one kind of data. fp16: fp16×fp16 products (exact in fp32) summed
 * in an fp32 accumulator, result rounded to fp16 on the store. int8: int8×int8 products summed
 * in an int32 accumulator, then requantised to int8 (round half to even, saturate).
 */
export interface TensorMode {
  readonly int8: boolean;
  /** Bytes per element of the activation / left operand, the weight / right operand, and the output. */
  readonly inBytes: number;
  readonly weightBytes: number;
  readonly outBytes: number;
  /** The value a loaded activation takes on-chip (int8 modes subtract the zero point here). */
  readonly activation: (v: number) => number;
  /** The value a loaded weight takes on-chip; `channel` is the output channel / column. */
  readonly weight: (v: number, channel: number) => number;
  /** acc + a·w in the accumulator's arithmetic. */
  readonly accumulate: (acc: number, a: number, w: number) => number;
  /** Accumulator to the stored value for output channel / column `channel` (bias, activation, requantisation). */
  readonly finish: (acc: number, channel: number) => number;
}

/** Bytes of one accumulator (fp32 or int32). */
export const ACC_BYTES = 4;

const f32 = Math.fround;

/** fp16 inputs, fp32 accumulation; `bias` (already fp16 values) and a fused ReLU applied in fp32 before the output rounds to fp16. */
export function fp16Mode(bias: Float64Array | undefined, relu: boolean): TensorMode {
  return floatMode(2, bias, relu);
}

/**
 * fp32 operands on the vector unit (the tensor unit has no fp32 multipliers): the same fp32
 * accumulation, bias and ReLU as fp16Mode, with 4-byte operands and outputs.
 */
export function fp32VectorMode(bias: Float64Array | undefined, relu: boolean): TensorMode {
  return floatMode(4, bias, relu);
}

function floatMode(bytes: number, bias: Float64Array | undefined, relu: boolean): TensorMode {
  return {
    int8: false,
    inBytes: bytes,
    weightBytes: bytes,
    outBytes: bytes,
    activation: (v) => v,
    weight: (v) => v,
    accumulate: (acc, a, w) => f32(acc + a * w),
    finish: (acc, c) => {
      const v = bias ? f32(acc + bias[c]!) : acc;
      return relu && !(v > 0 || v !== v) ? 0 : v;
    },
  };
}
