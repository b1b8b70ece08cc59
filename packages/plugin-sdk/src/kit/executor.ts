import {
  contiguousStrides,
  getOp,
  isContiguous,
  KernelError,
  UnsupportedOpError,
  type Attrs,
  type DecompositionContext,
  type Device,
  type DeviceBuffer,
  type KernelRegistry,
  type OpDef,
  type TensorView,
} from "@polychip/hal";
import { allocOutput, upload } from "./tensors.ts";
import { contiguous } from "./cases/values.ts";

/**
 * Runs HAL ops on one device through a registry. With `decompose`, an op that has no kernel runs
 * as its HAL reference decomposition (each primitive again through the registry): that is how
 * the CPU oracle answers for a composite it does not implement natively.
 */
export class OpExecutor<B extends DeviceBuffer> {
  private readonly owned: B[] = [];

  constructor(
    readonly device: Device<B>,
    private readonly registry: KernelRegistry,
    private readonly decompose: boolean,
  ) {}

  /** Whether a kernel (not a decomposition) exists for op at dtype on this device. */
  hasKernel(op: string, dtype: TensorView["dtype"]): boolean {
    return this.registry.find(this.device.info.name, op, dtype) !== undefined;
  }

  /** Launches op with pre-allocated outputs. */
  execute(op: string, inputs: readonly TensorView<B>[], outputs: readonly TensorView<B>[], attrs: Attrs): void {
    const key = (inputs[0] ?? outputs[0])!.dtype;
    const reg = this.registry.find(this.device.info.name, op, key);
    if (reg) {
      this.device.launch(reg.kernel, { op, inputs, outputs, attrs });
      return;
    }
    const def = getOp(op);
    if (!this.decompose || !def.decompose) throw new UnsupportedOpError(`${this.device.info.name} has no kernel for ${op} at ${key}`);
    this.executeDecomposition(def, inputs, outputs, attrs);
  }

  /**
   * Runs `def`'s reference decomposition into pre-allocated outputs, every inner op through
   * `execute`. Works for op definitions the HAL does not (yet) hold, which is how a proposed op
   * is checked against a device's kernel before it joins the HAL.
   */
  executeDecomposition(def: OpDef, inputs: readonly TensorView<B>[], outputs: readonly TensorView<B>[], attrs: Attrs): void {
    if (!def.decompose) throw new UnsupportedOpError(`${def.name} has no reference decomposition`);
    const results = def.decompose(this.context(), inputs, attrs);
    results.forEach((r, i) => this.execute("copy", [r], [outputs[i]!], {}));
  }

  /** Frees every buffer this executor allocated (uploads, outputs, temporaries). */
  releaseAll(): void {
    for (const b of this.owned.splice(0)) this.device.free(b);
  }

  /** Frees everything and disposes the device (which may hold worker threads that keep a process alive). */
  async dispose(): Promise<void> {
    this.releaseAll();
    await this.device.dispose?.();
  }

  track<V extends TensorView<B>>(view: V): V {
    this.owned.push(view.buffer);
    return view;
  }

  private context(): DecompositionContext<TensorView<B>> {
    const device = this.device;
    return {
      meta: (v) => ({ shape: v.shape, dtype: v.dtype }),
      call: (op, inputs, attrs = {}) => {
        const [meta] = getOp(op).infer(
          inputs.map((v) => ({ shape: v.shape, dtype: v.dtype })),
          attrs,
        );
        const out = this.track(allocOutput(device, meta!.dtype, meta!.shape));
        this.execute(op, inputs, [out], attrs);
        return out;
      },
      constant: (values, shape, dtype) => this.track(upload(device, contiguous(dtype, shape, Array.from(values)))),
      reshape: (v, shape) => {
        if (!isContiguous(v.shape, v.strides)) throw new KernelError(`decomposition reshaped a non-contiguous view of shape [${v.shape.join(", ")}]`);
        return { ...v, shape, strides: contiguousStrides(shape) };
      },
      view: (v, shape, strides, offset) => ({ ...v, shape, strides, offset: v.offset + offset }),
      copyInto: (dst, region, src) => {
        this.execute("copy", [src], [{ ...dst, shape: region.shape, strides: region.strides, offset: dst.offset + region.offset }], {});
      },
    };
  }
}
