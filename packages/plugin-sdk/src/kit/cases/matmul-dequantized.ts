import type { DType } from "@polychip/hal";
import type { CaseContext, ConformanceCase, TensorInput } from "./types.ts";
import { contiguous, random, transposed } from "./values.ts";

const FULL: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255] };

/**
 * matmulDequantized: float32 a @ ((w − zeroPoint) · scale) for an int8/uint8 weight. Cases cover
 * both weight dtypes at their full range, per-tensor and per-column parameters, no zero point, a
 * batched a, odd N (columns past a vector group) and K = 288 as in Moonshine's logits. The
 * tolerance grows with K·max|a|·255·max scale: a device may sum in any order and scale at the end.
 */
export function matmulDequantizedCases({ dtype, stridedInputs }: CaseContext): ConformanceCase[] {
  if (dtype !== "float32") return [];
  const a = (seed: number, shape: number[]) => random(seed, "float32", shape, [-1, 1]);
  const w = (seed: number, d: DType, shape: number[]) => random(seed, d, shape, FULL[d]!);
  const scales = (seed: number, n: number) => random(seed, "float32", n === 1 ? [] : [n], [0.001, 0.01]);
  const zero = (seed: number, d: DType, n: number) => random(seed, d, n === 1 ? [] : [n], FULL[d]!);
  const c = (name: string, inputs: TensorInput[], k: number): ConformanceCase => ({ name, inputs, attrs: {}, accumulation: k * 255 * 0.01 });
  const cases = [
    c("uint8 per tensor [3, 5] @ [5, 4]", [a(951, [3, 5]), w(952, "uint8", [5, 4]), scales(953, 1), zero(954, "uint8", 1)], 5),
    c("int8 per column [7, 37] @ [37, 21]", [a(955, [7, 37]), w(956, "int8", [37, 21]), scales(957, 21), zero(958, "int8", 21)], 37),
    c("uint8 per-column scale, no zero point, batched [2, 3, 16] @ [16, 9]", [a(959, [2, 3, 16]), w(960, "uint8", [16, 9]), scales(961, 9)], 16),
    c(
      "int8 per tensor, K = 288 (Moonshine's logits) [7, 288] @ [288, 40]",
      [a(962, [7, 288]), w(963, "int8", [288, 40]), scales(964, 1), zero(965, "int8", 1)],
      288,
    ),
    c("K = 0: [2, 0] @ [0, 3]", [a(966, [2, 0]), w(967, "uint8", [0, 3]), scales(968, 1), contiguous("uint8", [], [3])], 0),
  ];
  if (stridedInputs)
    cases.push(
      c("transposed views [4, 6] @ [6, 9]", [transposed(a(969, [4, 6])), transposed(w(970, "uint8", [6, 9])), scales(971, 9), zero(972, "uint8", 9)], 6),
    );
  return cases;
}
