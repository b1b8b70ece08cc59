import {
  contiguousStrides,
  dtypeBytes,
  EPILOGUE_BASES,
  getOp,
  isContiguous,
  KernelError,
  KernelRegistry,
  parseEpilogue,
  sizeOf,
  type Attrs,
  type DType,
  type Epilogue,
  type TensorMeta,
} from "@polychip/hal";
import type { CpuBuffer, CpuDevice } from "../device.ts";
import type { CpuView } from "../views.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * parseEpilogue's answer per attrs object and input count. A session or compiled graph calls a
 * node with the same attrs object on every run, and parsing the program's JSON each time cost
 * ~2 us a call: 7% of a small model (ppocr-mobile-v2-cls, ~100 epilogue calls in 2.5 ms).
 */
const parsed = new WeakMap<Attrs, { readonly op: string; readonly inputCount: number; readonly epilogue: Epilogue }>();

function parseCached(op: string, attrs: Attrs, inputCount: number): Epilogue {
  const hit = parsed.get(attrs);
  if (hit && hit.op === op && hit.inputCount === inputCount) return hit.epilogue;
  const epilogue = parseEpilogue(op, attrs, inputCount);
  parsed.set(attrs, { op, inputCount, epilogue });
  return epilogue;
}

/** The program's attrs without output `direct` (the product itself, written by the GEMM), made once per parsed epilogue. */
const withoutOutput = new WeakMap<Epilogue, Map<number, Attrs>>();

function programAttrsWithout(e: Epilogue, direct: number): Attrs {
  if (direct < 0) return e.fusedAttrs;
  const perDirect = withoutOutput.get(e) ?? withoutOutput.set(e, new Map()).get(e)!;
  let attrs = perDirect.get(direct);
  if (!attrs) perDirect.set(direct, (attrs = { program: e.fusedAttrs.program, outputs: e.program.outputs.filter((_, m) => m !== direct) }));
  return attrs;
}

/**
 * conv2dEpilogue / matmulEpilogue on the cpu: the device's own GEMM kernel writes the product
 * straight into an output buffer, and the device's `fused` kernel then applies the program over
 * that buffer in place (each element is read before it is written), while it is still warm in
 * cache. Against the unfused ops this saves the intermediate's allocation, a launch per op of the
 * chain and, for a chain of several ops, every memory pass but one.
 */
function epilogueKernel(op: string, kernels: () => readonly CpuRegistration[], onePass: OnePass): CpuKernel {
  let registry: KernelRegistry | undefined;
  const find = (name: string, dtype: DType) => {
    if (!registry) {
      registry = new KernelRegistry();
      registry.registerAll(kernels());
    }
    const reg = registry.find("cpu", name, dtype);
    if (!reg) throw new KernelError(`cpu: ${op} needs a ${name} kernel for ${dtype}`);
    return reg.kernel;
  };
  return ({ inputs, outputs, attrs }, device) => {
    const cpu = device as CpuDevice;
    const e = parseCached(op, attrs, inputs.length);
    const baseInputs = inputs.slice(0, e.baseInputs) as CpuView[];
    const extras = inputs.slice(e.baseInputs) as CpuView[];
    const outs = outputs as readonly CpuView[];
    const dtype = baseInputs[0]!.dtype;
    const shape = outs[0]!.shape;
    const usable = (y: CpuView) => y.dtype === dtype && isContiguous(y.shape, y.strides);
    // Where the product goes: an output that is the product itself, else one the program may overwrite in place, else scratch.
    const direct = e.program.outputs.findIndex((v, m) => v === 0 && usable(outs[m]!));
    const inPlace = onePass(e.fusedAttrs, [{ shape, dtype }, ...extras]);
    const target = direct >= 0 ? direct : inPlace ? outs.findIndex(usable) : -1;
    let scratch: CpuBuffer | undefined;
    const product: CpuView =
      target >= 0
        ? outs[target]!
        : { buffer: (scratch = cpu.alloc(Math.max(4, sizeOf(shape) * dtypeBytes(dtype)))), dtype, shape, strides: contiguousStrides(shape), offset: 0 };
    try {
      find(e.base, dtype)({ op: e.base, inputs: baseInputs, outputs: [product], attrs: e.baseAttrs }, device);
      const rest = outs.map((_, m) => m).filter((m) => m !== direct);
      if (rest.length === 0 || sizeOf(shape) === 0) return;
      const programInputs = [product, ...extras];
      find("fused", dtype)({ op: "fused", inputs: programInputs, outputs: rest.map((m) => outs[m]!), attrs: programAttrsWithout(e, direct) }, device);
    } finally {
      if (scratch) cpu.free(scratch);
    }
  };
}

/**
 * What `polychip compile --report` prints for an epilogue op on the cpu: the GEMM it runs, then
 * the program's generated source over [product, extras] (`programSource`: the fused kernel's report).
 */
export function epilogueSourceReport(
  op: string,
  inputs: readonly TensorMeta[],
  attrs: Attrs,
  programSource: (attrs: Attrs, inputs: readonly TensorMeta[]) => string,
): string | undefined {
  if (!(op in EPILOGUE_BASES)) return undefined;
  const e = parseEpilogue(op, attrs, inputs.length);
  const [product] = getOp(e.base).infer(inputs.slice(0, e.baseInputs), e.baseAttrs);
  const header = `// ${op}: the ${e.base} kernel writes the product ${product!.dtype}[${product!.shape.join(", ")}] into an output; this program then runs over it in place (value 0):`;
  return `${header}\n${programSource(e.fusedAttrs, [product!, ...inputs.slice(e.baseInputs)])}`;
}

/**
 * Whether the `fused` kernel runs a program over these inputs in one pass that reads each element
 * before writing it, so its output may be the product's own buffer. The reference kernel always
 * does; the WASM path only for a program it runs as a single loop (not in stages).
 */
export type OnePass = (attrs: Attrs, inputs: readonly TensorMeta[]) => boolean;

/** One kernel per epilogue op, running the GEMM and `fused` kernels that `kernels()` registers (looked up on first use). */
export function epilogueKernels(
  kernels: () => readonly CpuRegistration[],
  dtypes: readonly DType[] | "*" = "*",
  onePass: OnePass = () => true,
): CpuRegistration[] {
  return Object.keys(EPILOGUE_BASES).map((op) => cpuKernel(op, epilogueKernel(op, kernels, onePass), dtypes));
}
