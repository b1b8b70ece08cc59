import { isFloat, type DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase, TensorInput } from "./types.ts";
import { contiguous, edgeValues, random, transposed } from "./values.ts";

function rangeFor(dtype: DType): [number, number] {
  if (isFloat(dtype)) return [-1, 1];
  return dtype === "uint8" ? [0, 3] : [-3, 3];
}

/** matmul: shapes (size-1, K = 0, M = 0, batched, transposed operands, large), edge values, integer overflow. */
export function matmulCases({ dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  const range = rangeFor(dtype);
  const bound = Math.max(Math.abs(range[0]), Math.abs(range[1])) ** 2;
  const rnd = (seed: number, shape: number[]) => random(seed, dtype, shape, range);
  const c = (name: string, a: TensorInput, b: TensorInput, k: number, attrs: ConformanceCase["attrs"] = {}): ConformanceCase => ({
    name,
    inputs: [a, b],
    attrs,
    accumulation: k * bound,
  });
  const edges = edgeValues(dtype);
  const n = edges.length;
  const cases = [
    c("[2, 3] @ [3, 4]", rnd(101, [2, 3]), rnd(102, [3, 4]), 3),
    c("size-1 [1, 1] @ [1, 1]", rnd(103, [1, 1]), rnd(104, [1, 1]), 1),
    c("K = 0: [2, 0] @ [0, 3]", rnd(105, [2, 0]), rnd(106, [0, 3]), 0),
    c("M = 0: [0, 3] @ [3, 2]", rnd(107, [0, 3]), rnd(108, [3, 2]), 3),
    c("batched [2, 3, 5] @ [2, 5, 4]", rnd(109, [2, 3, 5]), rnd(110, [2, 5, 4]), 5),
    c("transposeA [5, 3]ᵀ @ [5, 4]", rnd(111, [5, 3]), rnd(112, [5, 4]), 5, { transposeA: true }),
    c("transposeB [3, 5] @ [4, 5]ᵀ", rnd(113, [3, 5]), rnd(114, [4, 5]), 5, { transposeB: true }),
    c("both transposed, batched [2, 5, 3]ᵀ @ [2, 4, 5]ᵀ", rnd(115, [2, 5, 3]), rnd(116, [2, 4, 5]), 5, { transposeA: true, transposeB: true }),
    c(`edge values [${n}, 1] @ [1, ${n}]`, contiguous(dtype, [n, 1], edges), contiguous(dtype, [1, n], edges), 1),
    c("large [64, 128] @ [128, 96]", rnd(117, [64, 128]), rnd(118, [128, 96]), 128),
  ];
  if (!isFloat(dtype)) {
    // Sums that leave the dtype's range: whatever the HAL's integer rule is, the device must follow it.
    const hi = dtype === "int8" ? 127 : dtype === "uint8" ? 255 : 2 ** 20;
    const lo = dtype === "uint8" ? 0 : -hi;
    cases.push(
      c(
        "overflowing sums [2, 16] @ [16, 2]",
        contiguous(
          dtype,
          [2, 16],
          Array.from({ length: 32 }, (_, i) => (i < 16 ? hi : lo)),
        ),
        contiguous(dtype, [16, 2], new Array(32).fill(hi)),
        16,
      ),
    );
  }
  if (stridedInputs) cases.push(c("transposed views [4, 6] @ [6, 3]", transposed(rnd(119, [4, 6])), transposed(rnd(120, [6, 3])), 6));
  return cases;
}
