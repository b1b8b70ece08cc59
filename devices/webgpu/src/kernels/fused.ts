import {
  contiguousStrides,
  getOp,
  isContiguous,
  KernelError,
  parseFusedProgram,
  sizeOf,
  type Attrs,
  type FusedProgram,
  type Shape,
  type TensorMeta,
} from "@polychip/hal";
import type { WebGpuKernel } from "../families/registration.ts";
import { liveValues, planFusedDispatch, type FusedView } from "../wgsl/fused-program.ts";

/** The pipeline key's name for a program: its steps and outputs as given. */
function programKey(attrs: Attrs): string {
  return `${attrs.program}->${JSON.stringify(attrs.outputs)}`;
}

/**
 * Outputs grouped so each group's inputs plus outputs fit `limit` storage bindings
 * (maxStorageBuffersPerShaderStage): one group, hence one dispatch, whenever the whole program fits.
 * A single output whose own inputs do not fit cannot be split this way: a KernelError, which the
 * engine's dispatcher turns into the counted cpu fallback.
 */
export function outputGroups(program: FusedProgram, inputCount: number, limit: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let inputs = new Set<number>();
  program.outputs.forEach((_, m) => {
    const own = [...liveValues(program, inputCount, [m])].filter((j) => j < inputCount);
    if (own.length + 1 > limit) {
      throw new KernelError(
        `webgpu: fused: output ${m} reads ${own.length} inputs; with its output that is ${own.length + 1} storage buffers, ` +
          `more than the ${limit} one shader may bind (maxStorageBuffersPerShaderStage)`,
      );
    }
    const merged = new Set([...inputs, ...own]);
    if (current.length > 0 && merged.size + current.length + 1 > limit) {
      groups.push(current);
      current = [];
      inputs = new Set(own);
    } else {
      inputs = merged;
    }
    current.push(m);
  });
  groups.push(current);
  return groups;
}

/** The fused-program kernel: one dispatch computing every output, or one per output group past the binding limit. */
const fusedKernel: WebGpuKernel = ({ inputs, outputs, attrs }, device) => {
  const program = parseFusedProgram(attrs);
  outputs.forEach((o, m) => {
    if (!isContiguous(o.shape, o.strides)) throw new KernelError(`webgpu: fused: output ${m} must be contiguous`);
    if (outputs.findIndex((p) => p.buffer === o.buffer) !== m)
      throw new KernelError(`webgpu: fused: outputs share a buffer (output ${m}), which one shader cannot write twice`);
  });
  if (sizeOf(outputs[0]!.shape) === 0) return;
  const key = programKey(attrs);
  for (const group of outputGroups(program, inputs.length, device.maxStorageBuffersPerStage)) {
    const plan = planFusedDispatch(program, key, inputs, outputs, group);
    device.dispatch({
      op: "fused",
      key: plan.key,
      wgsl: plan.wgsl,
      params: plan.params,
      reads: plan.inputs.map((j) => inputs[j]!.buffer),
      writes: plan.outputs.map((m) => outputs[m]!.buffer),
      workgroups: plan.workgroups,
      args: { steps: program.steps.length, outputs: plan.outputs.length },
    });
  }
};

export const fused = { fused: fusedKernel };

/** An input of fusedShaderSource: a tensor's meta, with strides and offset when it is a view (default contiguous). */
export type FusedSourceInput = TensorMeta & { readonly strides?: readonly number[]; readonly offset?: number };

/**
 * The WGSL the WebGPU device compiles for a fused program over inputs of these shapes, dtypes and
 * strides, with all outputs in one shader (as on any adapter that binds inputs + outputs storage
 * buffers): for reports that show generated kernels. Validates like the op (the HAL's infer).
 */
export function fusedShaderSource(attrs: Attrs, inputs: readonly FusedSourceInput[]): string {
  const metas = getOp("fused").infer(inputs, attrs);
  const program = parseFusedProgram(attrs);
  const views: FusedView[] = inputs.map((i) => ({ ...i, strides: i.strides ?? contiguousStrides(i.shape), offset: i.offset ?? 0 }));
  const outs: FusedView[] = metas.map((m) => ({ dtype: m.dtype, shape: m.shape as Shape, strides: contiguousStrides(m.shape), offset: 0 }));
  return planFusedDispatch(
    program,
    programKey(attrs),
    views,
    outs,
    program.outputs.map((_, m) => m),
  ).wgsl();
}
