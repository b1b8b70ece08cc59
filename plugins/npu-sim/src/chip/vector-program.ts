import { dtypeBytes, float32ToFloat16Bits, fusedValueTypes, isFloat, KernelError, type DType, type FusedProgram, type TensorMeta } from "@polychip/hal";
import { BINARY_SCALAR, castValue, UNARY_SCALAR } from "@polychip/plugin-sdk";
import { halves } from "./dma.ts";

/**
 * A HAL fused program (`fused`, a GEMM epilogue) compiled for the vector unit: every step's result
 * stays in a lane register, rounded to its dtype exactly as the unfused kernel's store would round
 * it (fp32, fp16 to nearest even, integers wrapping, bool bytes), so the fused launch computes what
 * the ops one by one compute, without storing a single intermediate to DRAM.
 */
export interface VectorProgram {
  /** Values per element: the inputs, then one per step. */
  readonly valueCount: number;
  readonly inputCount: number;
  /** Value index of each output, and its dtype. */
  readonly outputs: readonly number[];
  readonly outputDTypes: readonly DType[];
  /** Vector-unit operations per element (the cost model's count; a const is free). */
  readonly opsPerElement: number;
  /** The program's ops in order, consts left out ("add+mul+tanh"). */
  readonly members: string;
  /** Whether any value is 32-bit (fp32, int32): such lanes run at half the fp16 rate. */
  readonly wide: boolean;
  /** Computes every step for one element, reading the inputs already in `values[0..inputCount)`. */
  evaluate(values: Float64Array): void;
}

/** Vector-unit operations per element: a multiply-add is one, a divide or square root a few, a transcendental a polynomial. */
export const VECTOR_OP_COST: Readonly<Record<string, number>> = {
  div: 4,
  sqrt: 4,
  rsqrt: 4,
  reciprocal: 4,
  mod: 6,
  fmod: 6,
  exp: 8,
  log: 8,
  sin: 8,
  cos: 8,
  tanh: 8,
  sigmoid: 8,
  erf: 12,
  pow: 16,
};

const f32 = Math.fround;

/** What storing `v` in `dtype` (and loading it again) gives: the rounding each unfused kernel's store applies. */
export function storeAs(dtype: DType): (v: number) => number {
  switch (dtype) {
    case "float32":
      return f32;
    case "float16": {
      const half = halves();
      return (v) => half[float32ToFloat16Bits(f32(v))]!;
    }
    case "int32":
      return (v) => v | 0;
    case "int8":
      return (v) => (v << 24) >> 24;
    case "uint8":
    case "bool":
      return (v) => v & 255;
  }
}

type StepFn = (values: Float64Array) => void;

/** Compiles `program` over inputs of these metas; an op the vector unit has no rule for is a KernelError naming it. */
export function compileVectorProgram(op: string, program: FusedProgram, inputs: readonly TensorMeta[]): VectorProgram {
  const metas = fusedValueTypes(program.steps, inputs);
  const n = inputs.length;
  let ops = 0;
  const steps: StepFn[] = program.steps.map((step, k) => {
    const at = n + k;
    const round = storeAs(metas[at]!.dtype);
    const [a = 0, b = 0, c = 0] = step.args;
    if (step.op === "const") {
      const v = round(step.value!);
      return (vs) => void (vs[at] = v);
    }
    ops += step.op === "cast" || step.op === "where" ? 1 : (VECTOR_OP_COST[step.op] ?? 1);
    if (step.op === "cast") {
      const to = step.to!;
      return (vs) => void (vs[at] = round(isFloat(to) ? vs[a]! : castValue(vs[a]!, to)));
    }
    if (step.op === "where") return (vs) => void (vs[at] = round(vs[a]! !== 0 ? vs[b]! : vs[c]!));
    const unary = UNARY_SCALAR[step.op];
    if (unary && step.args.length === 1) return (vs) => void (vs[at] = round(unary(vs[a]!)));
    const binary = BINARY_SCALAR[step.op];
    if (binary && step.args.length === 2) {
      const fn = isFloat(metas[a]!.dtype) ? binary[0] : binary[1];
      return (vs) => void (vs[at] = round(fn(vs[a]!, vs[b]!)));
    }
    throw new KernelError(`npu-sim ${op}: step ${k} (${step.op}) has no vector-unit rule`);
  });
  const outputDTypes = program.outputs.map((o) => metas[o]!.dtype);
  return {
    valueCount: metas.length,
    inputCount: n,
    outputs: program.outputs,
    outputDTypes,
    opsPerElement: ops,
    members: program.steps
      .filter((s) => s.op !== "const")
      .map((s) => s.op)
      .join("+"),
    wide: metas.some((m) => dtypeBytes(m.dtype) >= 4),
    evaluate(values) {
      for (const s of steps) s(values);
    },
  };
}
