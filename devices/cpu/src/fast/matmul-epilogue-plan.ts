/**
 * What the conv and matmul GEMM epilogues share (conv2d-epilogue.ts, matmul-epilogue.ts): whether a
 * call's program and operands fit the in-loop epilogue (wasm/kernels/gemm-epilogue.ts), the module
 * generated per program, and the descriptor its driver reads.
 */
import { fusedValueTypes, type Epilogue } from "@polychip/hal";
import type { CpuKernel } from "../kernels/registration.ts";
import type { GeneratedModule, WasmRuntime } from "../runtime/runtime.ts";
import type { CpuView } from "../views.ts";
import { wasmCanRun } from "../wasm/kernels/fused.ts";
import { contextFits, type GemmEpilogueSpec } from "../wasm/kernels/gemm-epilogue.ts";
import {
  convEpilogueModule,
  depthwiseEpilogueModule,
  descriptorBytes,
  matmulEpilogueModule,
  narrowEpilogueModule,
} from "../wasm/kernels/gemm-epilogue-modules.ts";
import { address, contiguous } from "./support.ts";

/** How an epilogue call runs in the GEMM for its attrs and layouts (kept per attrs object: the addresses come with each call). */
export interface EpiloguePlan {
  readonly spec: GemmEpilogueSpec;
  /** The module cache's key for the program and the extra inputs' layout (per driver). */
  readonly key: string;
  /** The output the GEMM accumulates in: the one that is the product itself, else the first. */
  readonly target: number;
  /** Each extra input's strides (elements) over the output's dimensions, 0 where it is broadcast. */
  readonly strides: readonly (readonly number[])[];
  readonly descriptorBytes: number;
}

/** An extra input's strides over `shape` (which it broadcasts to): 0 along its missing and size-1 dimensions. */
function broadcastStrides(v: CpuView, shape: readonly number[]): number[] {
  const lead = shape.length - v.shape.length;
  return shape.map((_, d) => (d < lead || v.shape[d - lead] === 1 ? 0 : v.strides[d - lead]!));
}

/**
 * The plan for an epilogue call's layouts, or undefined when they are not for the in-loop path: a
 * non-float32 operand or output, a strided output, a program the WASM emitter cannot run, or an
 * extra input that `alongColumns` cannot address (it answers, from the extra's output-aligned
 * strides, whether it advances along the GEMM's columns (true), is constant along them (false), or
 * neither (undefined)). Each call still checks its buffers (inLoopBuffers).
 */
export function planEpilogue(
  call: Parameters<CpuKernel>[0],
  e: Epilogue,
  alongColumns: (strides: readonly number[]) => boolean | undefined,
): EpiloguePlan | undefined {
  const outputs = call.outputs as readonly CpuView[];
  const extras = call.inputs.slice(e.baseInputs) as readonly CpuView[];
  const shape = outputs[0]!.shape;
  if (!contextFits(extras.length, outputs.length)) return undefined;
  if (outputs.some((y) => y.dtype !== "float32" || !contiguous(y)) || extras.some((v) => v.dtype !== "float32")) return undefined;
  const types = fusedValueTypes(e.program.steps, [{ shape, dtype: "float32" }, ...extras]);
  if (!wasmCanRun(e.program.steps, types) || e.program.outputs.some((o) => types[o]!.dtype !== "float32")) return undefined;
  const strides = extras.map((v) => broadcastStrides(v, shape));
  const along = strides.map(alongColumns);
  if (along.some((a) => a === undefined)) return undefined;
  const direct = e.program.outputs.indexOf(0);
  return {
    spec: { steps: e.program.steps, outputs: e.program.outputs, types, alongColumns: along as boolean[] },
    key: `${along.map(Number).join("")}|${e.fusedAttrs.program as string}|${String(e.fusedAttrs.outputs)}`,
    target: Math.max(0, direct),
    strides,
    descriptorBytes: descriptorBytes(extras.length, outputs.length),
  };
}

const MAX_CACHED = 64;
/** Loaded modules by driver, program and extra-input layout (the runtime's fma and memory kind are fixed per realm). */
const modules = new Map<string, GeneratedModule>();

/** The generated module for a plan and driver, compiled on first use. */
const BUILDERS = { conv: convEpilogueModule, depthwise: depthwiseEpilogueModule, narrow: narrowEpilogueModule, matmul: matmulEpilogueModule };

export function epilogueModule(rt: WasmRuntime, driver: keyof typeof BUILDERS, plan: EpiloguePlan): GeneratedModule {
  const key = driver === "conv" ? plan.key : `${driver} ${plan.key}`;
  let module = modules.get(key);
  if (!module) {
    const build = BUILDERS[driver];
    module = rt.loadModule(build(plan.spec, { fma: rt.fma, shared: rt.shared }));
    if (modules.size >= MAX_CACHED) {
      const [oldKey, old] = modules.entries().next().value!;
      modules.delete(oldKey);
      rt.unloadModule(old);
    }
    modules.set(key, module);
  }
  return module;
}

/**
 * Whether this call's buffers suit the in-loop path: every extra input and output in the WASM
 * memory, and no extra input sharing a buffer with an output (the GEMM's partial sums would
 * overwrite it before it is read).
 */
export function inLoopBuffers(extras: readonly CpuView[], outputs: readonly CpuView[]): boolean {
  for (const y of outputs) if (address(y) === undefined) return false;
  for (const v of extras) if (address(v) === undefined || outputs.some((y) => y.buffer === v.buffer)) return false;
  return true;
}

/**
 * Writes the driver's descriptor at `at` (gemm-epilogue-modules.ts): per extra input its address,
 * byte strides per image and per row of C (`strides` picks them, in elements, from its
 * output-aligned strides), then each output's offset from the target.
 */
export function writeDescriptor(
  i32: Int32Array,
  at: number,
  plan: EpiloguePlan,
  extras: readonly CpuView[],
  outputs: readonly CpuView[],
  strides: (s: readonly number[]) => readonly [number, number],
): void {
  let o = at / 4;
  extras.forEach((v, k) => {
    const [perImage, perRow] = strides(plan.strides[k]!);
    i32[o++] = address(v)!;
    i32[o++] = perImage * 4;
    i32[o++] = perRow * 4;
  });
  const target = address(outputs[plan.target]!)!;
  for (const y of outputs) i32[o++] = address(y)! - target;
}
