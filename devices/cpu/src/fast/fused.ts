import {
  broadcastStrides,
  contiguousStrides,
  dtypeBytes,
  fusedOutputShape,
  fusedValueTypes,
  isContiguous,
  parseFusedProgram,
  sizeOf,
  type Attrs,
  type Device,
  type DType,
  type TensorMeta,
} from "@polychip/hal";
import type { CpuBuffer, FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { GeneratedModule, WasmRuntime } from "../runtime/runtime.ts";
import type { CpuView } from "../views.ts";
import { fusedModuleBytes, wasmCanRun } from "../wasm/kernels/fused.ts";
import { copyOf, planStages, type FusedStage } from "./fused-stages.ts";
import { planRows, type RowPlan } from "./rows.ts";
import { address, chunking, fastPathOf } from "./support.ts";

/** An input as the layout check sees it: a view's strides, or contiguous when a meta has none. */
type FusedInput = TensorMeta & { readonly strides?: readonly number[] };

const MAX_CACHED = 256;
/** Loaded programs by (program, outputs, input dtypes and which are constant along a row, memory kind); null: not a WASM program. */
const compiled = new Map<string, GeneratedModule | null>();

/** The row walk of the output for these inputs, or undefined when some input is strided along the row (a transposed view). */
function rowPlanOf(inputs: readonly FusedInput[]): RowPlan | undefined {
  const shape = fusedOutputShape(inputs);
  return planRows(
    shape,
    inputs.map((m) => ({ shape: m.shape, strides: m.strides ?? contiguousStrides(m.shape) })),
  );
}

/**
 * Whether the program runs as WASM: every value float32 or bool, every op a single IEEE or bit
 * operation (see wasm/kernels/fused.ts), and every input either advancing with the output or
 * broadcast along its rows (any mix of full tensors, broadcast rows such as [1,C,1,1] or [C], and
 * single elements; inputs without strides count as contiguous). Programs with other ops or
 * transposed inputs run the generated JavaScript.
 */
export function fusedRunsInWasm(attrs: Attrs, inputs: readonly FusedInput[]): boolean {
  const { steps } = parseFusedProgram(attrs, inputs.length);
  return wasmCanRun(steps, fusedValueTypes(steps, inputs)) && rowPlanOf(inputs) !== undefined;
}

/**
 * The WebAssembly module the cpu device generates for a `fused` node (what a compile report can
 * show: its size, or its bytes for a disassembler), or undefined when the program runs as
 * JavaScript (see fusedKernelSource). `rowConstant[k]` marks inputs read once per row (default:
 * as the inputs' shapes and strides broadcast).
 */
export function fusedWasmModule(attrs: Attrs, inputs: readonly FusedInput[], rowConstant?: readonly boolean[], shared = true): Uint8Array<ArrayBuffer> | undefined {
  if (!fusedRunsInWasm(attrs, inputs)) return undefined;
  const { steps, outputs } = parseFusedProgram(attrs, inputs.length);
  const constant = rowConstant ?? rowPlanOf(inputs)!.inner.map((s) => s === 0);
  return fusedModuleBytes(steps, outputs, fusedValueTypes(steps, inputs), constant, shared);
}

function moduleFor(attrs: Attrs, inputs: readonly CpuView[], rowConstant: readonly boolean[], rt: WasmRuntime): GeneratedModule | null {
  const key = `${attrs.program}|${String(attrs.outputs)}|${inputs.map((v, k) => `${v.dtype}${rowConstant[k] ? "*" : ""}`).join(",")}|${rt.shared}`;
  let module = compiled.get(key);
  if (module === undefined) {
    const { steps, outputs } = parseFusedProgram(attrs, inputs.length);
    const types = fusedValueTypes(steps, inputs);
    module = wasmCanRun(steps, types) ? rt.loadModule(fusedModuleBytes(steps, outputs, types, rowConstant, rt.shared)) : null;
    if (compiled.size >= MAX_CACHED) {
      const [oldKey, old] = compiled.entries().next().value!;
      compiled.delete(oldKey);
      if (old) rt.unloadModule(old);
    }
    compiled.set(key, module);
  }
  return module;
}

/** The WASM row loop, across the device's threads when large, if the program and the views allow it; false sends the call to the JavaScript kernel. */
function runFused({ inputs, outputs, attrs }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const views = inputs as readonly CpuView[];
  const wasmType = (dtype: string) => dtype === "float32" || dtype === "bool";
  if (views.some((v) => !wasmType(v.dtype)) || outputs.some((y) => !wasmType(y.dtype) || !isContiguous(y.shape, y.strides))) return false;
  const addresses = [...views, ...(outputs as readonly CpuView[])].map(address);
  if (addresses.some((a) => a === undefined)) return false;
  const plan = planRows(outputs[0]!.shape, views);
  if (!plan) return false;
  const rt = path.runtime;
  const module = moduleFor(
    attrs,
    views,
    plan.inner.map((s) => s === 0),
    rt,
  );
  if (!module) return false;
  if (plan.total === 0) return true;
  const count = views.length;
  const table = rt.tableFor(plan.offsets.length * 4);
  const i32 = rt.i32;
  const t = table / 4;
  const bytes = views.map((v) => dtypeBytes(v.dtype));
  for (let i = 0; i < plan.offsets.length; i++) i32[t + i] = plan.offsets[i]! * bytes[i % count]!;
  const perChunk = chunking(path, plan.total, plan.rows);
  const args = [...(addresses as number[]), plan.total, plan.rowLen, plan.rows, table, perChunk];
  rt.runModule(path.pool, module, args, Math.ceil(plan.rows / perChunk), 0);
  return true;
}

/** Elements from which a program the WASM loop cannot run whole runs in stages: below it, one JavaScript loop costs less than the extra launches. */
const STAGED_MIN_ELEMENTS = 1 << 14;

/**
 * A stage ready to launch: its attrs; for each of its outputs the place it writes (`targets`: a
 * global value, or -1 - N - m for the caller's output m) and that value's dtype; and where each
 * value it computes lives afterwards (`homes`: value, target), for the stages after it.
 */
type StageLaunch = FusedStage & {
  readonly attrs: Attrs;
  readonly targets: readonly { readonly place: number; readonly dtype: DType }[];
  readonly homes: readonly (readonly [number, number])[];
};
const staged = new Map<string, StageLaunch[] | null>();

function stagesFor(attrs: Attrs, views: readonly CpuView[], flat: readonly boolean[]): StageLaunch[] | null {
  const key = `${attrs.program}|${String(attrs.outputs)}|${views.map((v, k) => `${v.dtype}${flat[k] ? "" : "~"}`).join(",")}`;
  let plan = staged.get(key);
  if (plan === undefined) {
    const N = views.length;
    const { steps, outputs } = parseFusedProgram(attrs, N);
    const types = fusedValueTypes(steps, views);
    const stages = planStages(steps, outputs, types, flat);
    // A value the caller reads is written straight into its output(s); the others go to scratch buffers.
    plan =
      stages?.map((st) => {
        const pairs = st.writes.flatMap((w, j) => {
          const finals = outputs.flatMap((o, m) => (o === w ? [-1 - N - m] : []));
          const dtype = types[w < 0 ? copyOf(w) : w]!.dtype;
          return (finals.length ? finals : [w]).map((place) => ({ local: st.outputs[j]!, place, dtype, value: w }));
        });
        return {
          ...st,
          attrs: { program: JSON.stringify(st.steps), outputs: pairs.map((p) => p.local) },
          targets: pairs.map(({ place, dtype }) => ({ place, dtype })),
          homes: st.writes.map((w) => [w, pairs.find((p) => p.value === w)!.place] as const),
        };
      }) ?? null;
    if (staged.size >= MAX_CACHED) staged.delete(staged.keys().next().value!);
    staged.set(key, plan);
  }
  return plan;
}

/**
 * A large program with steps outside the WASM loop, on float32 and bool values, in stages
 * (fused-stages.ts): WASM stages through runFused, JavaScript ones through the reference kernel.
 * False when staging does not apply.
 */
function runStaged(call: Parameters<CpuKernel>[0], path: FastPath, device: Device<CpuBuffer>, reference: CpuKernel): boolean {
  const views = call.inputs as readonly CpuView[];
  const outputs = call.outputs as readonly CpuView[];
  const shape = outputs[0]!.shape;
  const n = sizeOf(shape);
  if (n < STAGED_MIN_ELEMENTS || outputs.some((y) => !isContiguous(y.shape, y.strides))) return false;
  const flat = views.map((v) => sizeOf(v.shape) === 1 || isContiguous(shape, broadcastStrides(v.shape, v.strides, shape)));
  const stages = stagesFor(call.attrs, views, flat);
  if (!stages) return false;
  const at = new Map<number, CpuView>(views.map((v, k) => [k, v]));
  outputs.forEach((y, m) => at.set(-1 - views.length - m, y));
  const scratch: CpuBuffer[] = [];
  try {
    for (const st of stages) {
      const stageOutputs = st.targets.map(({ place, dtype }) => {
        let view = at.get(place);
        if (!view) {
          const buffer = device.alloc(n * dtypeBytes(dtype));
          scratch.push(buffer);
          view = { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
          at.set(place, view);
        }
        return view;
      });
      const stageCall = { op: "fused", inputs: st.inputs.map((v) => at.get(v)!), outputs: stageOutputs, attrs: st.attrs };
      if (!(st.wasm && runFused(stageCall, path))) reference(stageCall, device);
      for (const [value, place] of st.homes) at.set(value, at.get(place)!);
    }
  } finally {
    for (const b of scratch) device.free(b);
  }
  return true;
}

/** `fused` on float32 and bool values in WASM when it can, in stages when a large program can be split, else the generated JavaScript kernel. */
export function fastFused(reference: CpuKernel): CpuRegistration {
  return {
    device: "cpu",
    op: "fused",
    dtypes: ["float32", "bool"],
    kernel: (call, device) => {
      const path = fastPathOf(device);
      if (path && (runFused(call, path) || runStaged(call, path, device, reference))) return;
      reference(call, device);
    },
  };
}
