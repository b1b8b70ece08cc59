/**
 * Test support for fused programs: the reference result (the HAL's decomposition of `fused`, each
 * unfused op run by the CPU device) and the unfused ops run one by one on the WebGPU device.
 */
import { runOp as runCpu } from "@polychip/device-cpu";
import { contiguousStrides, getOp, parseFusedProgram, sizeOf, type Attrs, type DecompositionContext, type DType, type Shape } from "@polychip/hal";
import { runGpu, type HostInput, type HostOutput } from "./harness.ts";

type HostValue = HostInput & { readonly dtype: DType };

function asInput(o: HostOutput): HostValue {
  return { values: o.values, shape: o.shape, dtype: o.dtype };
}

function contiguous(v: HostValue): HostValue {
  return v.strides === undefined && !v.offset ? v : asInput(runCpu("copy", [v])[0]!);
}

/** `fused` as its HAL decomposition on the CPU device: the unfused ops in order. */
export function fusedOnCpu(inputs: readonly HostInput[], attrs: Attrs): HostOutput[] {
  const ctx: DecompositionContext<HostValue> = {
    meta: (v) => ({ shape: v.shape, dtype: v.dtype }),
    call: (op, ins, a) => asInput(runCpu(op, ins, a ?? {})[0]!),
    constant: (values, shape, dtype) => ({ values: Array.from(values), shape, dtype }),
    reshape: (v, shape: Shape) => ({ ...contiguous(v), shape }),
    view: (v, shape, strides, offset) => ({ ...v, shape, strides, offset: (v.offset ?? 0) + offset }),
    copyInto: () => {
      throw new Error("fusedOnCpu: the fused decomposition does not write into views");
    },
  };
  const values = inputs.map((i) => ({ ...i, dtype: i.dtype ?? "float32" }));
  return getOp("fused").decompose!(ctx, values, attrs).map((v) => {
    const c = contiguous(v);
    return { shape: [...c.shape], dtype: c.dtype, values: runCpu("copy", [c])[0]!.values };
  });
}

/** Runs each step of the program as its own WebGPU kernel (consts uploaded as scalars), returning the outputs' values. */
export async function unfusedOnGpu(inputs: readonly HostInput[], attrs: Attrs): Promise<HostOutput[]> {
  const { steps, outputs } = parseFusedProgram(attrs);
  const values: HostValue[] = inputs.map((i) => ({ ...i, dtype: i.dtype ?? "float32" }));
  for (const step of steps) {
    if (step.op === "const") {
      values.push({ values: [step.value!], shape: [], dtype: step.to ?? "float32" });
      continue;
    }
    const [out] = await runGpu(
      step.op,
      step.args.map((a) => values[a]!),
      step.to !== undefined ? { to: step.to } : {},
    );
    values.push(asInput(out!));
  }
  const shape = getOp("fused").infer(values.slice(0, inputs.length), attrs)[0]!.shape;
  return outputs.map((o) => {
    const v = values[o]!;
    if (sizeOf(v.shape) === sizeOf(shape)) return { shape: [...shape], dtype: v.dtype, values: runCpu("copy", [v])[0]!.values };
    const strides = contiguousStrides(v.shape).map((s, i) => (v.shape[i] === 1 ? 0 : s));
    const wide = { ...v, shape, strides: [...new Array(shape.length - v.shape.length).fill(0), ...strides] };
    return { shape: [...shape], dtype: v.dtype, values: runCpu("copy", [wide])[0]!.values };
  });
}
