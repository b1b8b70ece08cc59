import { conv2dCase, matmulCase, trainCase, type BenchCase } from "../cases.ts";

/** Issue 4's WebGPU cases: matmul 256–2048, conv2d 1×56×56×64 3×3→64, the CNN training step at batch 64. */
export function webgpuCases(): BenchCase[] {
  return [matmulCase(256), matmulCase(512), matmulCase(1024), matmulCase(2048), conv2dCase(), trainCase("cnn")];
}

/**
 * On a software adapter (SwiftShader, ~0.2 GFLOP/s) matmul 2048 alone takes about a minute a run
 * per runner, and the figures only prove the harness works, so it is left out unless asked for.
 */
export const SOFTWARE_SKIPPED = ["matmul-2048"];

export function webgpuQuickCases(): BenchCase[] {
  return [matmulCase(256), conv2dCase()];
}
