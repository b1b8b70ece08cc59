import { fp16Mode } from "../chip/tensor-unit.ts";
import { npuOf } from "../device.ts";
import { runMatmulProgram } from "./matmul-program.ts";
import { npuKernel, type NpuRegistration } from "./registration.ts";

/**
 * matmul on the tensor unit, fp16 only: the tensor unit has no fp32 multipliers, so a float32
 * matmul falls back to the CPU (deploy in fp16 or int8 to run it here).
 */
export const matmulKernels: NpuRegistration[] = [
  npuKernel("matmul", ["float16"], ({ inputs: [a, b], outputs: [y], attrs }, device) => {
    runMatmulProgram(npuOf(device, "matmul"), "matmul", a!, b!, y!, attrs, fp16Mode(undefined, false));
  }),
];
