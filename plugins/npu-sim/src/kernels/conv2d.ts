import { fp16Mode } from "../chip/tensor-unit.ts";
import { dmaLoad } from "../chip/dma.ts";
import { npuOf } from "../device.ts";
import { elementOffsets } from "@polychip/plugin-sdk";
import { fusedActivation, runConv2dProgram } from "./conv2d-program.ts";
import { npuKernel, type NpuRegistration } from "./registration.ts";

/**
 * conv2d (+ bias, + fused ReLU via attrs.activation = "relu") on the tensor unit, fp16 only:
 * fp16 products accumulate in fp32, bias and ReLU apply in fp32, the output rounds to fp16.
 */
export const conv2dKernels: NpuRegistration[] = [
  npuKernel("conv2d", ["float16"], ({ inputs: [x, w, b], outputs: [y], attrs }, device) => {
    const npu = npuOf(device, "conv2d");
    const relu = fusedActivation("conv2d", attrs) === "relu";
    const bias = b ? dmaLoad(b, elementOffsets(b.shape, b.strides, b.offset), 0, b.shape[0]!) : undefined;
    runConv2dProgram(npu, "conv2d", x!, w!, y!, attrs, fp16Mode(bias, relu));
  }),
];
