import { fp16Mode, fp32VectorMode, type TensorMode } from "../chip/tensor-unit.ts";
import { dmaLoad } from "../chip/dma.ts";
import { npuOf } from "../device.ts";
import { elementOffsets } from "@polychip/plugin-sdk";
import { fusedActivation, runConv2dProgram } from "./conv2d-program.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";
import { plainSink } from "../chip/tile-sink.ts";
import type { Unit } from "../chip/tile-program.ts";

/**
 * conv2d (+ bias, + fused ReLU via attrs.activation = "relu") on the tensor unit, fp16:
 * fp16 products accumulate in fp32, bias and ReLU apply in fp32, the output rounds to fp16.
 */
export const conv2dKernels: NpuRegistration[] = [npuKernel("conv2d", ["float16"], conv2dKernel(fp16Mode, "tensor"))];

/**
 * conv2d in float32 on the vector unit (the tensor unit has no fp32 multipliers): the same direct
 * program, one fp32 MAC per lane per cycle at the 32-bit rate, exact fp32 accumulation.
 */
export const vectorConv2dKernels: NpuRegistration[] = [npuKernel("conv2d", ["float32"], conv2dKernel(fp32VectorMode, "vector"))];

function conv2dKernel(mode: (bias: Float64Array | undefined, relu: boolean) => TensorMode, unit: Unit): NpuKernel {
  return ({ inputs: [x, w, b], outputs: [y], attrs }, device) => {
    const npu = npuOf(device, "conv2d");
    const relu = fusedActivation("conv2d", attrs) === "relu";
    const bias = b ? dmaLoad(b, elementOffsets(b.shape, b.strides, b.offset), 0, b.shape[0]!) : undefined;
    runConv2dProgram(npu, "conv2d", x!, w!, y!, attrs, mode(bias, relu), plainSink(y!), unit);
  };
}
