import { getOp, KernelError, parseEpilogue, type DType } from "@polychip/hal";
import { elementOffsets } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { fp16Mode, fp32VectorMode } from "../chip/tensor-unit.ts";
import { programSink } from "../chip/tile-sink.ts";
import { compileVectorProgram } from "../chip/vector-program.ts";
import { npuOf } from "../device.ts";
import { runConv2dGradInputProgram } from "./conv2d-grad-input.ts";
import { fusedActivation, runConv2dProgram } from "./conv2d-program.ts";
import { runMatmulProgram } from "./matmul-program.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";
import { runVectorMatmul } from "./vector-matmul.ts";

type Gemm = "tensor" | "vector";

/**
 * A HAL GEMM epilogue (conv2dEpilogue, matmulEpilogue) as one launch: the GEMM's tile program
 * hands each finished output row, still on chip, to the vector unit, which DMAs in the matching
 * elements of the extra operands (bias, residual), runs the program and stores only its outputs.
 * The product never goes to DRAM unless the program outputs it (a pre-activation the backward pass
 * reads). Numerics are the unfused ops': the product rounds to its dtype (fp16 on the tensor unit's
 * store, fp32 on the vector unit's), then every program step rounds as its own kernel would.
 * `gemm` says which unit multiplies: the fp16 tensor unit, or the vector unit (fp32, integers).
 */
function epilogueKernel(op: string, gemm: Gemm): NpuKernel {
  return ({ inputs, outputs, attrs }, device) => {
    const npu = npuOf(device, op);
    const e = parseEpilogue(op, attrs, inputs.length);
    const [x, w, bias] = inputs.slice(0, e.baseInputs);
    const extras = inputs.slice(e.baseInputs);
    const [product] = getOp(e.base).infer(inputs.slice(0, e.baseInputs), e.baseAttrs);
    const vp = compileVectorProgram(op, e.program, [product!, ...extras]);
    const sink = programSink(e.base, vp, product!, extras, outputs);
    // The GEMM writes through the sink only: the output views are where its rows would have gone.
    const y = { ...outputs[0]!, dtype: product!.dtype, shape: product!.shape };
    if (e.base === "conv2d") {
      const b = bias && dmaLoad(bias, elementOffsets(bias.shape, bias.strides, bias.offset), 0, bias.shape[0]!);
      const mode = (gemm === "tensor" ? fp16Mode : fp32VectorMode)(b, fusedActivation(op, e.baseAttrs) === "relu");
      runConv2dProgram(npu, op, x!, w!, y, e.baseAttrs, mode, sink, gemm);
    } else if (e.base === "conv2dGradInput") {
      const mode = (gemm === "tensor" ? fp16Mode : fp32VectorMode)(undefined, false);
      runConv2dGradInputProgram(npu, op, x!, w!, y, e.baseAttrs, mode, sink, gemm);
    } else if (e.base === "matmul" && gemm === "tensor") runMatmulProgram(npu, op, x!, w!, y, e.baseAttrs, fp16Mode(undefined, false), sink);
    else if (e.base === "matmul") runVectorMatmul(npu, op, x!, w!, y, e.baseAttrs, sink);
    else throw new KernelError(`npu-sim ${op}: no program for its ${e.base} (registration bug)`);
  };
}

const VECTOR_MATMUL_DTYPES: readonly DType[] = ["float32", "int32", "int8", "uint8"];

/** Epilogues on the vector unit's GEMMs: fp32 conv2d and conv2dGradInput, fp32 and integer matmul. */
const vectorEpilogueKernels: NpuRegistration[] = [
  npuKernel("conv2dEpilogue", ["float32"], epilogueKernel("conv2dEpilogue", "vector")),
  npuKernel("conv2dGradInputEpilogue", ["float32"], epilogueKernel("conv2dGradInputEpilogue", "vector")),
  npuKernel("matmulEpilogue", VECTOR_MATMUL_DTYPES, epilogueKernel("matmulEpilogue", "vector")),
];

/**
 * The epilogues this chip runs natively: on the fp16 tensor unit, or on the vector unit for fp32
 * and integers. Others (integer convolutions) are not registered, so the engine never builds them
 * for this chip, or runs their decomposition.
 */
export const epilogueKernels: NpuRegistration[] = [
  npuKernel("conv2dEpilogue", ["float16"], epilogueKernel("conv2dEpilogue", "tensor")),
  npuKernel("conv2dGradInputEpilogue", ["float16"], epilogueKernel("conv2dGradInputEpilogue", "tensor")),
  npuKernel("matmulEpilogue", ["float16"], epilogueKernel("matmulEpilogue", "tensor")),
  ...vectorEpilogueKernels,
];

/** The int8-only edge chip: everything on its vector unit (fp16 matmul too); no fp16 conv epilogues. */
export const edgeEpilogueKernels: NpuRegistration[] = [
  npuKernel("conv2dEpilogue", ["float32"], epilogueKernel("conv2dEpilogue", "vector")),
  npuKernel("conv2dGradInputEpilogue", ["float32"], epilogueKernel("conv2dGradInputEpilogue", "vector")),
  npuKernel("matmulEpilogue", ["float16", ...VECTOR_MATMUL_DTYPES], epilogueKernel("matmulEpilogue", "vector")),
];
