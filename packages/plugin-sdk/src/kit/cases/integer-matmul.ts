import type { DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase, TensorInput } from "./types.ts";
import { contiguous, random, transposed } from "./values.ts";

const FULL: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/**
 * integerMatmul (ONNX MatMulInteger): int32 Σ (a − aZero)(b − bZero), exact. Cases cover both
 * operand dtypes, every zero-point form, batches, odd K and N, and K = 1152 at worst-case values,
 * whose sums a float32 GEMM would round (they pass 2^24).
 */
export function integerMatmulCases({ dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  if (dtype !== "int8" && dtype !== "uint8") return [];
  const other: DType = dtype === "int8" ? "uint8" : "int8";
  const rnd = (seed: number, d: DType, shape: number[]) => random(seed, d, shape, FULL[d]!);
  const zero = (d: DType, values: number[]) => contiguous(d, values.length === 1 ? [] : [values.length], values);
  const c = (name: string, inputs: TensorInput[]): ConformanceCase => ({ name, inputs, attrs: {} });
  const [lo, hi] = FULL[dtype]!;
  const worstA = contiguous(dtype, [2, 1152], new Array(2304).fill(lo));
  const worstB = contiguous(dtype, [1152, 8], new Array(9216).fill(hi));
  const cases = [
    c("no zero points [3, 5] @ [5, 4]", [rnd(901, dtype, [3, 5]), rnd(902, dtype, [5, 4])]),
    c(`b ${other}, zero points per tensor [7, 37] @ [37, 21]`, [
      rnd(903, dtype, [7, 37]),
      rnd(904, other, [37, 21]),
      zero(dtype, [3]),
      zero(other, [dtype === "uint8" ? -5 : 200]),
    ]),
    c("zero points per row and per column [6, 9] @ [9, 10]", [rnd(905, dtype, [6, 9]), rnd(906, dtype, [9, 10]), rnd(907, dtype, [6]), rnd(908, dtype, [10])]),
    c("batched [2, 3, 300] @ [2, 300, 17]", [rnd(909, dtype, [2, 3, 300]), rnd(910, dtype, [2, 300, 17]), zero(dtype, [hi]), zero(dtype, [lo])]),
    c("K = 0: [2, 0] @ [0, 3]", [rnd(911, dtype, [2, 0]), rnd(912, dtype, [0, 3]), zero(dtype, [1])]),
    c("worst case K = 1152 (sums past 2^24)", [worstA, worstB, zero(dtype, [hi]), zero(dtype, [lo])]),
  ];
  if (stridedInputs)
    cases.push(c("transposed views [4, 6] @ [6, 9]", [transposed(rnd(913, dtype, [4, 6])), transposed(rnd(914, dtype, [6, 9])), zero(dtype, [2])]));
  return cases;
}
