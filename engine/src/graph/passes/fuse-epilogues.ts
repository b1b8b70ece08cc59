import type { EpilogueSupport } from "../fusion/epilogue.ts";
import type { Graph } from "../ir.ts";
import { expandFused } from "./expand-fused.ts";
import { fuseElementwise } from "./fuse-elementwise.ts";

export interface FuseEpiloguesOptions {
  /** Whether the target device runs epilogue `op` (conv2dEpilogue, matmulEpilogue) at `dtype` natively: only then is a GEMM fused. */
  readonly supports: EpilogueSupport;
}

/**
 * Groups a graph for a device that may have GEMM epilogue kernels: each float32 or float16 GEMM
 * (conv2d, matmul, conv2dGradInput: see EPILOGUE_BASES) whose result only elementwise nodes of its
 * shape read (one, or several that all join: a hard-swish), with their group, becomes a conv2dEpilogue / matmulEpilogue (the device applies the
 * bias, activation or residual add while storing the product) where `supports` says the device has
 * the kernel; the other groups become `fused` nodes (fuseElementwise with `epilogues`). A graph
 * already fused (a saved model) is expanded first, so the one rule groups it again for this device.
 */
export function fuseEpilogues(graph: Graph, options: FuseEpiloguesOptions): Graph {
  return fuseElementwise(expandFused(graph), { epilogues: options.supports });
}
