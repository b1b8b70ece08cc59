import { fusedRunsInWasm } from "./fast/fused.ts";
import { batchNormTrainingKernels } from "./fast/batch-norm-training.ts";
import { fastKernels } from "./fast/index.ts";
import { withInLoopEpilogues } from "./fast/matmul-epilogue.ts";
import { referenceKernels } from "./kernels/index.ts";
import { epilogueKernels } from "./kernels/epilogue.ts";
import type { CpuRegistration } from "./kernels/registration.ts";

/**
 * The cpu device's registration list: the reference kernels, then the WebAssembly kernels for the
 * ops and dtypes they cover. The registry lets later registrations win, so float32 matmul, conv,
 * pooling, ... run in WASM (on devices created with wasm on) and everything else — and anything a
 * WASM kernel declines — on the reference. The float32 and float16 GEMM epilogues run whichever GEMM and
 * `fused` kernels this list ends up choosing (the WASM ones where the device has them).
 */
export const cpuKernels: CpuRegistration[] = [
  ...referenceKernels,
  ...fastKernels(referenceKernels),
  ...batchNormTrainingKernels(() => cpuKernels),
  // float16 runs its GEMM through float32 copies (fast/half.ts) and the program on the `fused` kernel (the WASM loop where it can), one pass.
  // float32 conv and matmul epilogues run the program in the GEMM's micro-kernel where they can (fast/matmul-epilogue.ts).
  ...withInLoopEpilogues(
    epilogueKernels(
      () => cpuKernels,
      ["float32", "float16"],
      (attrs, inputs) => inputs[0]!.dtype === "float16" || fusedRunsInWasm(attrs, inputs),
    ),
  ),
];
