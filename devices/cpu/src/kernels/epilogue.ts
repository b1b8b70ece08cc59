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
import { LayoutMemo } from "../layout-memo.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

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
  // Per attrs object and layouts: the parsed node and where the product goes, so the `fused` call
  // gets the same attrs object every run (its own per-attrs cache then hits too).
  const routes = new LayoutMemo<EpilogueRoute>();
  return (call, device) => {
    const { inputs, outputs, attrs } = call;
    const route = routes.get(attrs, inputs, outputs) ?? routes.set(attrs, routeOf(op, call, onePass, find), inputs, outputs);
    const { e, target, rest, fusedAttrs } = route;
    const cpu = device as CpuDevice;
    const baseInputs = inputs.slice(0, e.baseInputs) as CpuView[];
    const outs = outputs as readonly CpuView[];
    const { dtype, shape, size } = route;
    let scratch: CpuBuffer | undefined;
    const product: CpuView =
      target >= 0
        ? outs[target]!
        : { buffer: (scratch = cpu.alloc(Math.max(4, size * dtypeBytes(dtype)))), dtype, shape, strides: contiguousStrides(shape), offset: 0 };
    try {
      route.base({ op: e.base, inputs: baseInputs, outputs: [product], attrs: e.baseAttrs }, device);
      if (!route.fused) return;
      const programInputs = [product, ...(inputs.slice(e.baseInputs) as CpuView[])];
      route.fused({ op: "fused", inputs: programInputs, outputs: rest.map((m) => outs[m]!), attrs: fusedAttrs }, device);
    } finally {
      if (scratch) cpu.free(scratch);
    }
  };
}

/** How an epilogue call runs for its attrs and layouts: the parsed node, where the product goes, and the program's outputs that remain. */
interface EpilogueRoute {
  readonly e: Epilogue;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly size: number;
  /** The output the product is written into, or -1 for scratch. */
  readonly target: number;
  /** The outputs the program writes (all but one that is the product itself), and the `fused` attrs that write them. */
  readonly rest: readonly number[];
  readonly fusedAttrs: Attrs;
  /** The GEMM and `fused` kernels it runs, looked up once (a small model launches this thousands of times a second). */
  readonly base: CpuKernel;
  /** Undefined when no program runs (every output is the product, or it is empty). */
  readonly fused: CpuKernel | undefined;
}

function routeOf(
  op: string,
  { inputs, outputs, attrs }: Parameters<CpuKernel>[0],
  onePass: OnePass,
  find: (name: string, dtype: DType) => CpuKernel,
): EpilogueRoute {
  const e = parseEpilogue(op, attrs, inputs.length);
  const extras = inputs.slice(e.baseInputs);
  const dtype = inputs[0]!.dtype;
  const shape = outputs[0]!.shape;
  const usable = (y: TensorMeta & { readonly strides: readonly number[] }) => y.dtype === dtype && isContiguous(y.shape, y.strides);
  // Where the product goes: an output that is the product itself, else one the program may overwrite in place, else scratch.
  const direct = e.program.outputs.findIndex((v, m) => v === 0 && usable(outputs[m]!));
  const inPlace = onePass(e.fusedAttrs, [{ shape, dtype }, ...extras]);
  const target = direct >= 0 ? direct : inPlace ? outputs.findIndex(usable) : -1;
  const rest = outputs.map((_, m) => m).filter((m) => m !== direct);
  const fusedAttrs: Attrs = { program: e.fusedAttrs.program, outputs: rest.map((m) => e.program.outputs[m]!) };
  const size = sizeOf(shape);
  const fused = rest.length === 0 || size === 0 ? undefined : find("fused", dtype);
  return { e, dtype, shape, size, target, rest, fusedAttrs, base: find(e.base, dtype), fused };
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
