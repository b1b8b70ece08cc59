import {
  contiguousStrides,
  dtypeBytes,
  getOp,
  isContiguous,
  KernelError,
  parseEpilogue,
  sizeOf,
  type Attrs,
  type KernelCall,
  type Shape,
  type TensorMeta,
  type TensorView,
} from "@polychip/hal";
import { epilogueStore } from "../families/epilogue-store.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { conv2dGradInputThrough, conv2dThrough } from "./conv.ts";
import { fused } from "./fused.ts";
import { matmulThrough } from "./matmul.ts";

type View = TensorView<WebGpuBuffer>;
const THROUGH = { conv2d: conv2dThrough, matmul: matmulThrough, conv2dGradInput: conv2dGradInputThrough } as const;
type EpilogueOp = "conv2dEpilogue" | "matmulEpilogue" | "conv2dGradInputEpilogue";

/**
 * conv2dEpilogue / matmulEpilogue: the tiled GEMM stores every product element through the
 * program (bias, activation, residual, scale) into the outputs, in one dispatch. When the GEMM's
 * inputs, the extras and the outputs together exceed the adapter's storage bindings, the product
 * goes to a temporary and the `fused` kernel runs the program after it.
 */
function epilogueKernel(op: EpilogueOp): WebGpuKernel {
  return ({ inputs, outputs, attrs }, device) => {
    const e = parseEpilogue(op, attrs, inputs.length);
    const through = THROUGH[e.base as keyof typeof THROUGH];
    const extras = inputs.slice(e.baseInputs);
    outputs.forEach((o, m) => {
      if (!isContiguous(o.shape, o.strides)) throw new KernelError(`webgpu: ${op}: output ${m} must be contiguous`);
      if (outputs.findIndex((p) => p.buffer === o.buffer) !== m) throw new KernelError(`webgpu: ${op}: outputs share a buffer (output ${m})`);
    });
    const base: KernelCall<WebGpuBuffer> = { op: e.base, inputs: inputs.slice(0, e.baseInputs), outputs: [], attrs: e.baseAttrs };
    const dtype = base.inputs[0]!.dtype;
    if (inputs.length + outputs.length <= device.maxStorageBuffersPerStage) {
      const key = `${attrs.program}->${JSON.stringify(attrs.outputs)}`;
      through(base, device, (first) => epilogueStore(e.program, key, dtype, extras, outputs, first));
      return;
    }
    const shape = outputs[0]!.shape;
    const product: View = { buffer: device.alloc(Math.max(4, sizeOf(shape) * dtypeBytes(dtype))), dtype, shape, strides: contiguousStrides(shape), offset: 0 };
    try {
      through({ ...base, outputs: [product] }, device);
      const fusedAttrs: Attrs = e.fusedAttrs;
      fused.fused({ op: "fused", inputs: [product, ...extras], outputs, attrs: fusedAttrs }, device);
    } finally {
      device.free(product.buffer);
    }
  };
}

/**
 * The WGSL the WebGPU device compiles for an epilogue op over inputs of these shapes and dtypes
 * (contiguous), for reports: the tiled GEMM whose store runs the program, recorded by a stand-in
 * dispatcher with the usual limits (64-tile, 8 bindings), so no GPU is needed.
 */
export function epilogueShaderSource(op: string, inputs: readonly TensorMeta[], attrs: Attrs): string | undefined {
  if (!(op in epilogue)) return undefined;
  const metas = getOp(op).infer(inputs, attrs);
  const view = (m: TensorMeta): View => ({
    buffer: undefined as unknown as WebGpuBuffer,
    dtype: m.dtype,
    shape: m.shape as Shape,
    strides: contiguousStrides(m.shape),
    offset: 0,
  });
  let source: string | undefined;
  const recorder: Dispatcher = {
    dispatch: (spec) => {
      source ??= spec.wgsl();
    },
    scratch: () => undefined as unknown as WebGpuBuffer,
    alloc: () => undefined as unknown as WebGpuBuffer,
    free: () => {},
    faultCode: () => 1,
    maxWorkgroupsPerDimension: 65535,
    maxStorageBuffersPerStage: Math.max(8, inputs.length + metas.length),
    softwareAdapter: true,
  };
  epilogue[op as EpilogueOp]({ op, inputs: inputs.map(view), outputs: metas.map(view), attrs }, recorder);
  return source;
}

export const epilogue = {
  conv2dEpilogue: epilogueKernel("conv2dEpilogue"),
  matmulEpilogue: epilogueKernel("matmulEpilogue"),
  conv2dGradInputEpilogue: epilogueKernel("conv2dGradInputEpilogue"),
};
