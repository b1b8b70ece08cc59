import { fusedValueTypes, isContiguous, parseFusedProgram, sizeOf, type Attrs, type TensorMeta } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { fusedModuleBytes, wasmCanRun } from "../wasm/kernels/fused.ts";
import { address, fastKernel } from "./support.ts";

type FusedExport = (...addressesAndCount: number[]) => void;

const MAX_CACHED = 256;
/** Compiled programs by (program, outputs, input dtypes and which are single elements, memory kind); null: not a WASM program. */
const compiled = new Map<string, FusedExport | null>();

/**
 * Whether the program runs as WASM: every value float32 or bool and every op a single IEEE or bit
 * operation (see wasm/kernels/fused.ts). Such programs take the WASM loop whenever their inputs
 * are contiguous with the output or single elements; everything else runs the generated JavaScript.
 */
export function fusedRunsInWasm(attrs: Attrs, inputs: readonly TensorMeta[]): boolean {
  const { steps } = parseFusedProgram(attrs, inputs.length);
  return wasmCanRun(steps, fusedValueTypes(steps, inputs));
}

/**
 * The WebAssembly module the cpu device generates for a `fused` node (what a compile report can
 * show: its size, or its bytes for a disassembler), or undefined when the program runs as
 * JavaScript (see fusedKernelSource). `scalar[k]` marks single-element inputs (default: by shape).
 */
export function fusedWasmModule(attrs: Attrs, inputs: readonly TensorMeta[], scalar?: readonly boolean[], shared = true): Uint8Array<ArrayBuffer> | undefined {
  if (!fusedRunsInWasm(attrs, inputs)) return undefined;
  const { steps, outputs } = parseFusedProgram(attrs, inputs.length);
  return fusedModuleBytes(steps, outputs, fusedValueTypes(steps, inputs), scalar ?? inputs.map((m) => sizeOf(m.shape) === 1), shared);
}

function exportFor(attrs: Attrs, inputs: readonly CpuView[], scalar: readonly boolean[], path: FastPath): FusedExport | null {
  const shared = path.runtime.shared;
  const key = `${attrs.program}|${String(attrs.outputs)}|${inputs.map((v, k) => `${v.dtype}${scalar[k] ? "*" : ""}`).join(",")}|${shared}`;
  let fn = compiled.get(key);
  if (fn === undefined) {
    fn = null;
    const bytes = fusedWasmModule(attrs, inputs, scalar, shared);
    if (bytes) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: path.runtime.arena.memory } });
      fn = instance.exports.fused as FusedExport;
    }
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, fn);
  }
  return fn;
}

/** The WASM loop on the calling thread, when the program and the views allow it; false sends the call to the JavaScript kernel. */
function runFused({ inputs, outputs, attrs }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const views = inputs as readonly CpuView[];
  const shape = outputs[0]!.shape;
  const n = sizeOf(shape);
  const wasmType = (dtype: string) => dtype === "float32" || dtype === "bool";
  if (views.some((v) => !wasmType(v.dtype)) || outputs.some((y) => !wasmType(y.dtype) || !isContiguous(y.shape, y.strides))) return false;
  const scalar = views.map((v) => sizeOf(v.shape) === 1);
  // Contiguous with the output: the same element count in row-major order (size-1 dims aside).
  if (views.some((v, k) => !scalar[k] && (sizeOf(v.shape) !== n || !isContiguous(v.shape, v.strides)))) return false;
  const addresses = [...views, ...(outputs as readonly CpuView[])].map(address);
  if (addresses.some((a) => a === undefined)) return false;
  const fn = exportFor(attrs, views, scalar, path);
  if (!fn) return false;
  if (n > 0) fn(...(addresses as number[]), n);
  return true;
}

/** `fused` on float32 and bool values in WASM when it can, else the generated JavaScript kernel. */
export function fastFused(reference: CpuKernel): CpuRegistration {
  return fastKernel("fused", reference, runFused, ["float32", "bool"]);
}
