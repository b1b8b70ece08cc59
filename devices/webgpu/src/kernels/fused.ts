import {
  contiguousStrides,
  dtypeBytes,
  fusedValueTypes,
  getOp,
  isContiguous,
  KernelError,
  parseFusedProgram,
  sizeOf,
  type Attrs,
  type FusedProgram,
  type Shape,
  type TensorMeta,
  type TensorView,
} from "@polychip/hal";
import type { WebGpuKernel } from "../families/registration.ts";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { liveValues, planFusedDispatch, type FusedView } from "../families/fused-program.ts";
import { data } from "./data.ts";
import { splitIntoStages } from "./fused-stages.ts";

/** The pipeline key's name for a program: its steps and outputs as given. */
function programKey(attrs: Attrs): string {
  return `${attrs.program}->${JSON.stringify(attrs.outputs)}`;
}

/**
 * Outputs grouped so each group's inputs plus outputs fit `limit` storage bindings
 * (maxStorageBuffersPerShaderStage): one group, hence one dispatch, whenever the whole program fits;
 * each group recomputes the steps it needs. Undefined when one output's own inputs do not fit.
 */
export function outputGroups(program: FusedProgram, inputCount: number, limit: number): number[][] | undefined {
  const groups: number[][] = [];
  let current: number[] = [];
  let inputs = new Set<number>();
  for (let m = 0; m < program.outputs.length; m++) {
    const own = [...liveValues(program, inputCount, [m])].filter((j) => j < inputCount);
    if (own.length + 1 > limit) return undefined;
    const merged = new Set([...inputs, ...own]);
    if (current.length > 0 && merged.size + current.length + 1 > limit) {
      groups.push(current);
      current = [];
      inputs = new Set(own);
    } else {
      inputs = merged;
    }
    current.push(m);
  }
  groups.push(current);
  return groups;
}

type View = TensorView<WebGpuBuffer>;

function runGroups(
  device: Dispatcher,
  program: FusedProgram,
  key: string,
  inputs: readonly View[],
  outputs: readonly View[],
  groups: readonly number[][],
): void {
  for (const group of groups) {
    const plan = planFusedDispatch(program, key, inputs, outputs, group);
    device.dispatch({
      op: "fused",
      key: plan.key,
      wgsl: plan.wgsl,
      params: plan.params,
      reads: plan.inputs.map((j) => inputs[j]!.buffer),
      writes: plan.outputs.map((m) => outputs[m]!.buffer),
      workgroups: plan.workgroups,
      // The profiler shows a fused kernel with its member ops.
      args: { ops: program.steps.flatMap((st) => (st.op === "const" ? [] : [st.op])).join(" "), outputs: plan.outputs.length },
    });
  }
}

/** Stages one after another (fused-stages.ts), handing values on through temporaries freed once the last stage is recorded. */
function runStages(device: Dispatcher, program: FusedProgram, inputs: readonly View[], outputs: readonly View[]): void {
  const metas = fusedValueTypes(program.steps, inputs);
  const shape = outputs[0]!.shape;
  const where = new Map<number, View>(inputs.map((v, j) => [j, v]));
  const temps: WebGpuBuffer[] = [];
  try {
    for (const stage of splitIntoStages(program, inputs.length, device.maxStorageBuffersPerStage)) {
      const outs = stage.outputs.map((o): View => {
        if (o.output !== undefined) {
          if (!where.has(o.value)) where.set(o.value, outputs[o.output]!);
          return outputs[o.output]!;
        }
        const dtype = metas[o.value]!.dtype;
        const buffer = device.alloc(sizeOf(shape) * dtypeBytes(dtype));
        temps.push(buffer);
        const view = { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
        where.set(o.value, view);
        return view;
      });
      const single = stage.program.outputs.map((_, m) => m);
      runGroups(
        device,
        stage.program,
        programKey({ program: JSON.stringify(stage.program.steps), outputs: stage.program.outputs }),
        stage.inputs.map((v) => where.get(v)!),
        outs,
        [single],
      );
    }
  } finally {
    temps.forEach((b) => device.free(b));
  }
}

/**
 * The fused-program kernel: one dispatch computing every output. Past the storage-binding limit,
 * one dispatch per output group, or, when an output alone reads too many inputs, the program in stages.
 */
const fusedKernel: WebGpuKernel = ({ inputs, outputs, attrs }, device) => {
  const program = parseFusedProgram(attrs);
  outputs.forEach((o, m) => {
    if (!isContiguous(o.shape, o.strides)) throw new KernelError(`webgpu: fused: output ${m} must be contiguous`);
    if (outputs.findIndex((p) => p.buffer === o.buffer) !== m)
      throw new KernelError(`webgpu: fused: outputs share a buffer (output ${m}), which one shader cannot write twice`);
  });
  if (sizeOf(outputs[0]!.shape) === 0) return;
  const groups = outputGroups(program, inputs.length, device.maxStorageBuffersPerStage);
  const temps: WebGpuBuffer[] = [];
  try {
    // Several dispatches over an output written in place (compile's runInPlace) would let a later one read what an earlier one wrote.
    const ins = detachWritten(device, program, inputs, outputs, groups, temps);
    if (groups) runGroups(device, program, programKey(attrs), ins, outputs, groups);
    else runStages(device, program, ins, outputs);
  } finally {
    temps.forEach((b) => device.free(b));
  }
};

/**
 * Inputs that a dispatch reads after an earlier one wrote their buffer (an output written in
 * place), copied (contiguous) to temporaries first; the others as they are. Within one dispatch
 * the device reads a snapshot anyway. Without groups (stages), every input an output overwrites.
 */
function detachWritten(
  device: Dispatcher,
  program: FusedProgram,
  inputs: readonly View[],
  outputs: readonly View[],
  groups: readonly number[][] | undefined,
  temps: WebGpuBuffer[],
): View[] {
  const readBy = (g: readonly number[]) => new Set([...liveValues(program, inputs.length, g)].filter((j) => j < inputs.length));
  const reads = groups?.map(readBy);
  const clobbered = (j: number) =>
    outputs.some((o, m) => {
      if (o.buffer !== inputs[j]!.buffer) return false;
      if (!groups) return true;
      const writer = groups.findIndex((g) => g.includes(m));
      return reads!.some((r, k) => k > writer && r.has(j));
    });
  return inputs.map((v, j) => {
    if (!clobbered(j)) return v;
    const buffer = device.alloc(Math.max(4, sizeOf(v.shape) * dtypeBytes(v.dtype)));
    temps.push(buffer);
    const copy: View = { buffer, dtype: v.dtype, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0 };
    data.copy({ op: "copy", inputs: [v], outputs: [copy], attrs: {} }, device);
    return copy;
  });
}

export const fused = { fused: fusedKernel };

/** An input of fusedShaderSource: a tensor's meta, with strides and offset when it is a view (default contiguous). */
export type FusedSourceInput = TensorMeta & { readonly strides?: readonly number[]; readonly offset?: number };

/**
 * The WGSL the WebGPU device compiles for a fused program over inputs of these shapes, dtypes and
 * strides, for reports that show generated kernels. It is the one-dispatch shader, used whenever
 * the adapter binds all inputs and outputs at once (else the kernel splits the program: see
 * outputGroups and fused-stages.ts). Validates like the op (the HAL's infer).
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
