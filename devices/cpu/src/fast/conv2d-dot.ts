import type { FastPath } from "../device.ts";
import { DOT_MAX_ROWS } from "../wasm/kernels/matmul-dot.ts";
import type { ConvProblem } from "./conv2d-problem.ts";
import { blockSize, PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";

/** Whether runPointwiseDot takes this forward conv. */
export function pointwiseDotTakes({ N, KH, KW, OH, OW, H, W, groups }: ConvProblem): boolean {
  return KH === 1 && KW === 1 && H === 1 && W === 1 && OH === 1 && OW === 1 && groups === 1 && N <= DOT_MAX_ROWS;
}

/**
 * A 1x1 convolution of a 1x1 image (a squeeze-and-excitation block after global pooling): each
 * output is the dot product of an input's channels with a weight row, both contiguous, so it runs
 * on matmulDot (x @ Wᵀ) instead of packing the weights for the GEMM — which costs more than the
 * product here (200 -> 50 channels: 23 us for 10K multiply-adds). The kernel adds the bias as it stores.
 * Returns false for anything else.
 */
export function runPointwiseDot(path: FastPath, g: ConvProblem): boolean {
  const { N, C, OC } = g;
  if (!pointwiseDotTakes(g)) return false;
  const rt = path.runtime;
  const table = rt.tableFor(8);
  rt.i32[table / 4] = 0;
  rt.i32[table / 4 + 1] = 0;
  const nb = blockSize(OC, targetChunks(path.threads, N * OC * C, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS), 4);
  const gn = Math.ceil(OC / nb);
  rt.run(path.pool, "matmulDot", [N, OC, C, g.image, C * 4, g.weight, C * 4, g.out, table, nb, gn, g.bias], gn, 0, N * OC * C);
  return true;
}
