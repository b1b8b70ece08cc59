import type { FastPath } from "../device.ts";
import { DEPTHWISE, depthwisePlane } from "../wasm/kernels/conv-depthwise.ts";
import { depthwiseGradScratch } from "../wasm/kernels/conv-depthwise-grad.ts";
import type { ConvProblem, ForwardEpilogue } from "./conv2d-problem.ts";
import { PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";

/**
 * Output channels per input channel from which im2col + GEMM wins again: the GEMM reuses each
 * unfolded input across its rows, the direct kernel reads the plane once per output channel
 * (measured on a 1-channel 28x28 batch of 64: 8 channels break even, 32 run 1.4x slower direct).
 */
const MAX_MULTIPLIER = 7;

/** Largest padded plane the direct kernel copies into its scratch; bigger planes stay on im2col + GEMM. */
const MAX_PLANE_BYTES = 16 * 2 ** 20;

/**
 * Multiply-adds below which a forward depthwise conv runs on the calling thread. A 5x5 depthwise
 * conv of 88..200 channels over 2-3 x 96 positions (PP-OCR's direction classifier: 0.6-1.4 M
 * multiply-adds, 50-110 µs) split in 4-7 chunks ran 0-20% slower on 2 threads than on 1 (best of
 * 30 x 50 launches each, one process, on a shared 2-core machine): waking the worker costs what the
 * second half saves, and the whole classifier ran 6-8% faster on 2 threads with them unsplit. From
 * the GEMM threshold up they split (was a quarter of it).
 */
const PARALLEL_MIN_DEPTHWISE_MACS = PARALLEL_MIN_MACS;

/** Whether runDepthwiseConv2d takes this forward conv. */
export function depthwiseTakes(problem: ConvProblem): boolean {
  if (problem.Cg !== 1 || problem.OCg > MAX_MULTIPLIER) return false;
  const { PH, PW } = depthwisePlane(problem);
  return PH * PW * 4 + 16 + problem.KH * problem.KW * 16 <= MAX_PLANE_BYTES;
}

/**
 * conv2d with one input channel per group (depthwise, channel multipliers, single-channel input) on
 * the direct kernel (wasm/kernels/conv-depthwise.ts). Returns false when the geometry is not one it
 * takes, so the caller runs the im2col + GEMM path.
 */
export function runDepthwiseConv2d(path: FastPath, problem: ConvProblem, epilogue?: ForwardEpilogue): boolean {
  const { image, weight, out, bias, N, C, H, W, OCg, KH, KW, OH, OW } = problem;
  if (!depthwiseTakes(problem)) return false;
  const { PH, PW } = depthwisePlane(problem);
  const scratch = PH * PW * 4 + 16 + KH * KW * 16;
  const planes = N * C;
  const macs = planes * OCg * OH * OW * KH * KW;
  const target = targetChunks(path.threads, macs, PARALLEL_MIN_MACS / 16, PARALLEL_MIN_DEPTHWISE_MACS);
  const perChunk = Math.max(1, Math.ceil(planes / target));
  const rt = path.runtime;
  const table = rt.tableFor(DEPTHWISE.bytes + (epilogue?.descriptorBytes ?? 0));
  const { sh, sw, dh, dw, pt, pl } = problem;
  DEPTHWISE.write(rt.i32, table, { image, weight, out, bias, N, C, H, W, OCg, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW, PH, PW, perChunk });
  if (!epilogue) {
    rt.run(path.pool, "conv2dDepthwise", [table], Math.ceil(planes / perChunk), scratch, macs);
    return true;
  }
  epilogue.writeDescriptor(table + DEPTHWISE.bytes);
  rt.runModule(path.pool, epilogue.module, [table, table + DEPTHWISE.bytes], Math.ceil(planes / perChunk), scratch, macs);
  return true;
}

/**
 * conv2dGradWeight with one input channel per group on the direct kernel
 * (wasm/kernels/conv-depthwise-grad.ts): `problem` is the forward conv with image = x; `gradOut`
 * and `dw` are addresses. Returns false when the geometry is not one it takes.
 */
export function runDepthwiseGradWeight(path: FastPath, problem: ConvProblem, gradOut: number, dw: number): boolean {
  const { image, N, C, H, W, Cg, OCg, KH, KW, OH, OW, sh, sw, dh, pt, pl } = problem;
  if (Cg !== 1 || OCg > MAX_MULTIPLIER) return false;
  const { PH, PW } = depthwisePlane(problem);
  const scratch = PH * PW * 4 + depthwiseGradScratch(OCg, KH, KW);
  if (scratch > MAX_PLANE_BYTES) return false;
  const macs = N * C * OCg * OH * OW * KH * KW;
  const target = targetChunks(path.threads, macs, PARALLEL_MIN_MACS / 16, PARALLEL_MIN_MACS / 4);
  const perChunk = Math.max(1, Math.ceil(C / target));
  const rt = path.runtime;
  const table = rt.tableFor(DEPTHWISE.bytes);
  const fields = { image, weight: gradOut, out: dw, bias: 0, N, C, H, W, OCg, KH, KW, sh, sw, dh, dw: problem.dw, pt, pl, OH, OW, PH, PW, perChunk };
  DEPTHWISE.write(rt.i32, table, fields);
  rt.run(path.pool, "conv2dDepthwiseGradWeight", [table], Math.ceil(C / perChunk), scratch, macs);
  return true;
}
