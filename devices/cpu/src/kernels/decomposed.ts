import {
  contiguousStrides,
  dtypeBytes,
  getOp,
  isContiguous,
  KernelError,
  KernelRegistry,
  sizeOf,
  type Attrs,
  type DecompositionContext,
  type DType,
  type Shape,
  type TensorMeta,
} from "@polychip/hal";
import type { CpuBuffer, CpuDevice } from "../device.ts";
import { uploadView } from "../upload.ts";
import type { CpuView } from "../views.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * Runs a HAL reference decomposition on the cpu device itself: every op it calls goes through the
 * device's kernels (`registry`), on temporaries freed when the kernel returns. For composites whose
 * decomposition is their definition (the HAL 1.1 quantised ops), this is exactly the oracle's answer.
 */
class DeviceContext implements DecompositionContext<CpuView> {
  readonly temporaries: CpuBuffer[] = [];

  constructor(
    private readonly device: CpuDevice,
    private readonly registry: KernelRegistry,
  ) {}

  meta(v: CpuView): TensorMeta {
    return { shape: v.shape, dtype: v.dtype };
  }

  call(op: string, inputs: readonly CpuView[], attrs: Attrs = {}): CpuView {
    const [meta] = getOp(op).infer(inputs, attrs);
    const out = this.allocate(meta!.shape, meta!.dtype);
    this.launch(op, inputs, [out], attrs);
    return out;
  }

  constant(values: ArrayLike<number>, shape: Shape, dtype: DType): CpuView {
    const v = uploadView(this.device, { values, shape, dtype });
    this.temporaries.push(v.buffer);
    return v;
  }

  reshape(v: CpuView, shape: Shape): CpuView {
    const base = isContiguous(v.shape, v.strides) ? v : this.call("copy", [v]);
    return { ...base, shape: [...shape], strides: contiguousStrides(shape) };
  }

  view(v: CpuView, shape: Shape, strides: readonly number[], offset: number): CpuView {
    return { ...v, shape: [...shape], strides: [...strides], offset: v.offset + offset };
  }

  copyInto(dst: CpuView, region: { shape: Shape; strides: readonly number[]; offset: number }, src: CpuView): void {
    this.launch("copy", [src], [{ ...dst, shape: region.shape, strides: region.strides, offset: dst.offset + region.offset }], {});
  }

  launch(op: string, inputs: readonly CpuView[], outputs: readonly CpuView[], attrs: Attrs): void {
    const reg = this.registry.find("cpu", op, inputs[0]?.dtype ?? outputs[0]!.dtype);
    if (!reg) throw new KernelError(`cpu: no kernel for ${op}, which a decomposition calls`);
    reg.kernel({ op, inputs, outputs, attrs }, this.device);
  }

  private allocate(shape: Shape, dtype: DType): CpuView {
    const buffer = this.device.alloc(Math.max(sizeOf(shape) * dtypeBytes(dtype), 4));
    this.temporaries.push(buffer);
    return { buffer, dtype, shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
  }
}

/** A kernel for composite `op` that runs its reference decomposition on the cpu kernels of `kernels()`. */
export function decomposedKernel(op: string, kernels: () => readonly CpuRegistration[]): CpuRegistration {
  let registry: KernelRegistry | undefined;
  const kernel: CpuKernel = (call, device) => {
    if (!registry) {
      registry = new KernelRegistry();
      registry.registerAll(kernels());
    }
    const cpu = device as CpuDevice;
    const ctx = new DeviceContext(cpu, registry);
    try {
      const results = getOp(op).decompose!(ctx, call.inputs, call.attrs);
      results.forEach((result, i) => ctx.launch("copy", [result], [call.outputs[i]!], {}));
    } finally {
      for (const b of ctx.temporaries) cpu.free(b);
    }
  };
  return cpuKernel(op, kernel);
}
