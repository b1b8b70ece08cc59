import type { CpuRegistration } from "../kernels/registration.ts";
import { fastConv2d } from "./conv2d.ts";
import { fastConv2dNhwc } from "./conv2d-nhwc.ts";
import { fastElementwise } from "./elementwise.ts";
import { fastFused } from "./fused.ts";
import { fastGather } from "./gather.ts";
import { fastMoves } from "./moves.ts";
import { fastTranscendental } from "./transcendental.ts";
import { fastMatmul } from "./matmul.ts";
import { fastIntegerMatmul } from "./integer-matmul.ts";
import { fastDynamicQuantize } from "./dynamic-quantize.ts";
import { fastMatmulDequantized } from "./matmul-dequantized.ts";
import { fastPool } from "./pool.ts";
import { fastNormalize } from "./normalize.ts";
import { fastRecurrent } from "./recurrent.ts";
import { fastReduce } from "./reduce.ts";
import { referenceKernel } from "./support.ts";

/** The WebAssembly kernels, each falling back to the reference kernel of its op when it declines. */
export function fastKernels(reference: readonly CpuRegistration[]): CpuRegistration[] {
  const ref = (op: string) => referenceKernel(reference, op);
  const fused = fastFused(ref("fused"));
  return [
    ...fastMatmul(ref("matmul")),
    fastIntegerMatmul(ref("integerMatmul")),
    fastDynamicQuantize(ref("dynamicQuantizeLinear")),
    fastMatmulDequantized(ref("matmulDequantized")),
    ...fastConv2d(ref),
    fastConv2dNhwc(ref("conv2dNhwc")),
    ...fastElementwise(ref),
    ...fastPool(ref),
    ...fastReduce(ref),
    ...fastNormalize(ref),
    fused,
    ...fastTranscendental(fused.kernel, ref),
    fastGather(ref("gather")),
    ...fastMoves(ref),
    ...fastRecurrent(ref),
  ];
}
