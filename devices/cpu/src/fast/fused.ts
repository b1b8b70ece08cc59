import {
  contiguousStrides,
  dtypeBytes,
  fusedOutputShape,
  fusedValueTypes,
  isContiguous,
  parseFusedProgram,
  sizeOf,
  type Attrs,
  type DType,
  type FusedStep,
  type TensorMeta,
} from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { GeneratedModule, WasmRuntime } from "../runtime/runtime.ts";
import type { CpuView } from "../views.ts";
import { fusedKernelSource } from "../kernels/fused.ts";
import { fusedModuleBytes, loopCanRun } from "../wasm/kernels/fused.ts";
import { LOOP_DTYPES } from "../wasm/kernels/fused-integer.ts";
import { FUSED_MATH_OPS } from "../wasm/fused-math.ts";
import { runStaged } from "./fused-staged-run.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { planRows, type RowPlan } from "./rows.ts";
import { rowsThroughCopies, withCopies, type MoveGeometry } from "./strided-move.ts";
import { address, chunking, fastPathOf, PARALLEL_MIN_ELEMENTS } from "./support.ts";

/** An input as the layout check sees it: a view's strides, or contiguous when a meta has none. */
type FusedInput = TensorMeta & { readonly strides?: readonly number[] };

const MAX_CACHED = 256;
/** Loaded programs by (program, outputs, input dtypes and which are constant along a row, memory kind); null: not a WASM program. */
const compiled = new Map<string, GeneratedModule | null>();
/** Modules dropped from `compiled` (and unloaded): a kept launch holding one loads it again. */
const unloaded = new WeakSet<GeneratedModule>();

/** The row walk of the output for these inputs, or undefined when some input is strided along the row (a transposed view). */
function rowPlanOf(inputs: readonly FusedInput[]): RowPlan | undefined {
  const shape = fusedOutputShape(inputs);
  return planRows(
    shape,
    inputs.map((m) => ({ shape: m.shape, strides: m.strides ?? contiguousStrides(m.shape) })),
  );
}

/**
 * Whether the program runs as WASM: every value float32, bool, int32, uint8 or int8, every op a
 * single IEEE, integer or bit operation (see wasm/kernels/fused.ts), and every input either advancing with the output or
 * broadcast along its rows (any mix of full tensors, broadcast rows such as [1,C,1,1] or [C], and
 * single elements; inputs without strides count as contiguous). Programs with other ops or
 * transposed inputs run the generated JavaScript.
 */
export function fusedRunsInWasm(attrs: Attrs, inputs: readonly FusedInput[]): boolean {
  const { steps } = parseFusedProgram(attrs, inputs.length);
  return loopCanRun(steps, fusedValueTypes(steps, inputs)) && rowPlanOf(inputs) !== undefined;
}

/**
 * The WebAssembly module the cpu device generates for a `fused` node (what a compile report can
 * show: its size, or its bytes for a disassembler), or undefined when the program runs as
 * JavaScript (see fusedKernelSource). `rowConstant[k]` marks inputs read once per row (default:
 * as the inputs' shapes and strides broadcast).
 */
export function fusedWasmModule(
  attrs: Attrs,
  inputs: readonly FusedInput[],
  rowConstant?: readonly boolean[],
  shared = true,
): Uint8Array<ArrayBuffer> | undefined {
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
    module = loopCanRun(steps, types) ? rt.loadModule(fusedModuleBytes(steps, outputs, types, rowConstant, rt.shared)) : null;
    if (compiled.size >= MAX_CACHED) {
      const [oldKey, old] = compiled.entries().next().value!;
      compiled.delete(oldKey);
      if (old) {
        rt.unloadModule(old);
        unloaded.add(old);
      }
    }
    compiled.set(key, module);
  }
  return module;
}

/** What a `fused` call runs for one set of layouts: its module and row walk, with the row offsets in bytes. */
interface FusedLaunch {
  readonly rt: WasmRuntime;
  readonly program: unknown;
  readonly outputs: unknown;
  readonly module: GeneratedModule;
  readonly plan: RowPlan;
  readonly byteOffsets: Int32Array;
  /** The export's arguments, reused by every launch (read synchronously): addresses, then total, rowLen, rows, table, perChunk. */
  readonly args: number[];
  /** The thread count its rows were cut for. */
  readonly threads: number;
  /** Element-steps of work (fusedWork): what decides whether the rows are shared out. */
  readonly work: number;
  /** Inputs strided along the rows (transposed views), read through contiguous arena copies moved this way; undefined when none. */
  readonly moves: readonly (MoveGeometry | undefined)[] | undefined;
}

/** An exact-math step (exp, sigmoid, tanh, erf: float64 polynomials, a division) costs about this many plain steps per element. */
const MATH_STEP_COST = 16;

/**
 * Work of a program over `total` elements, in plain element-steps: what the thread split weighs, so
 * a short tensor through tanh and sigmoid (Piper's WaveNet gates, 9,408 elements) is split too.
 */
export function fusedWork(steps: readonly FusedStep[], total: number): number {
  let perElement = 1;
  for (const s of steps) if ((FUSED_MATH_OPS as readonly string[]).includes(s.op)) perElement += MATH_STEP_COST;
  return total * perElement;
}

/** Launches by attrs object and layouts (false: the WASM loop declines these layouts). */
const launches = new LayoutMemo<FusedLaunch | false>();

const wasmType = (dtype: DType) => LOOP_DTYPES.has(dtype);

/** The launch for these layouts, or false when the program or the layouts are not for the WASM loop. */
function prepareFused(attrs: Attrs, views: readonly CpuView[], outputs: readonly CpuView[], rt: WasmRuntime, threads: number): FusedLaunch | false {
  if (views.some((v) => !wasmType(v.dtype)) || outputs.some((y) => !wasmType(y.dtype) || !isContiguous(y.shape, y.strides))) return false;
  const shape = outputs[0]!.shape;
  const work = fusedWork(parseFusedProgram(attrs, views.length).steps, sizeOf(shape));
  // Rows cut short enough to share out when the work is worth the threads.
  const minRows = threads > 1 && work >= PARALLEL_MIN_ELEMENTS ? 2 * threads : 1;
  const direct = planRows(shape, views, minRows);
  const copied = direct ? undefined : rowsThroughCopies(shape, views, minRows);
  const plan = direct ?? copied?.plan;
  if (!plan) return false;
  const module = moduleFor(
    attrs,
    views,
    plan.inner.map((s) => s === 0),
    rt,
  );
  if (!module) return false;
  const count = views.length;
  const bytes = views.map((v) => dtypeBytes(v.dtype));
  const byteOffsets = plan.offsets.map((o, i) => o * bytes[i % count]!);
  const args = new Array<number>(count + outputs.length + 5).fill(0);
  return { rt, threads, program: attrs.program, outputs: attrs.outputs, module, plan, byteOffsets, args, work, moves: copied?.moves };
}

/** The kept launch when it still applies: same runtime and program, and its module still loaded. */
function keptLaunch(attrs: Attrs, views: readonly CpuView[], outputs: readonly CpuView[], rt: WasmRuntime, threads: number): FusedLaunch | false | undefined {
  const kept = launches.get(attrs, views, outputs);
  if (kept === false) return false;
  if (!kept || kept.rt !== rt || kept.threads !== threads || kept.program !== attrs.program || kept.outputs !== attrs.outputs || unloaded.has(kept.module))
    return undefined;
  return kept;
}

/** The WASM row loop, across the device's threads when large, if the program and the views allow it; false sends the call to the JavaScript kernel. */
function runFused({ inputs, outputs, attrs }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const views = inputs as readonly CpuView[];
  const outs = outputs as readonly CpuView[];
  const rt = path.runtime;
  let launch = keptLaunch(attrs, views, outs, rt, path.threads);
  if (launch === undefined) launch = launches.set(attrs, prepareFused(attrs, views, outs, rt, path.threads), views, outs);
  if (launch === false) return false;
  if (launch.moves) return withCopies(path, views, launch.moves, (addresses) => launchFused(launch, path, addresses, outs)) === true;
  // The inputs' addresses go straight into the kept argument list (no array per launch).
  const { args } = launch;
  for (let k = 0; k < views.length; k++) {
    const a = address(views[k]!);
    if (a === undefined) return false;
    args[k] = a;
  }
  return launchFused(launch, path, undefined, outs);
}

/**
 * Runs a prepared launch into `outs`, on inputs at `addresses` (undefined: already in the launch's
 * arguments); false when an output is not in the WASM memory.
 */
function launchFused(launch: FusedLaunch, path: FastPath, addresses: readonly number[] | undefined, outs: readonly CpuView[]): boolean {
  const { plan, module, args } = launch;
  const rt = path.runtime;
  if (addresses) for (let k = 0; k < addresses.length; k++) args[k] = addresses[k]!;
  let at = args.length - 5 - outs.length;
  for (let k = 0; k < outs.length; k++) {
    const a = address(outs[k]!);
    if (a === undefined) return false;
    args[at++] = a;
  }
  if (plan.total === 0) return true;
  const table = rt.tableFor(plan.offsets.length * 4);
  rt.i32.set(launch.byteOffsets, table / 4);
  const perChunk = chunking(path, launch.work, plan.rows);
  args[at++] = plan.total;
  args[at++] = plan.rowLen;
  args[at++] = plan.rows;
  args[at++] = table;
  args[at] = perChunk;
  rt.runModule(path.pool, module, args, Math.ceil(plan.rows / perChunk), 0);
  return true;
}

/** `fused` on float32, bool and integer values in WASM when it can, in stages when a large program can be split, else the generated JavaScript kernel. */
export function fastFused(reference: CpuKernel): CpuRegistration {
  return {
    device: "cpu",
    op: "fused",
    dtypes: [...LOOP_DTYPES],
    kernel: (call, device) => {
      const path = fastPathOf(device);
      if (path && (runFused(call, path) || runStaged(call, path, device, reference, runFused))) return;
      reference(call, device);
    },
  };
}

/**
 * What `polychip compile --report` prints for a fused program on the cpu: a program that
 * runs as a generated WebAssembly SIMD module is named with the module's size and shown as the
 * JavaScript it is equivalent to; any other program is the JavaScript that runs.
 */
export function fusedSourceReport(attrs: Attrs, inputs: readonly TensorMeta[], wasm: boolean): string {
  const js = fusedKernelSource(attrs, inputs);
  const module = wasm && fusedRunsInWasm(attrs, inputs) ? fusedWasmModule(attrs, inputs) : undefined;
  return module ? `// runs as a generated WebAssembly SIMD module of ${module.byteLength} bytes; the same program as JavaScript:\n${js}` : js;
}
