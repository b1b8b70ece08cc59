import type { FastPath } from "../device.ts";
import { NARROW } from "../wasm/kernels/gemm-narrow.ts";
import type { ConvProblem, ForwardEpilogue } from "./conv2d-problem.ts";
import { blockSize, PARALLEL_MIN_MACS, targetChunks } from "./grid.ts";

/** Output positions up to which a 1x1 conv skips the GEMM's packing (see gemm-narrow.ts). */
export const NARROW_MAX_POSITIONS = 64;

/** Whether runNarrowPointwise takes this forward conv. */
export function narrowTakes(g: ConvProblem): boolean {
  const unit = g.KH === 1 && g.KW === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.OH === g.H && g.OW === g.W;
  return unit && g.OH * g.OW <= NARROW_MAX_POSITIONS;
}

/**
 * A 1x1, stride-1, unpadded convolution over a small feature map (P = H·W <= 64 positions) on the
 * unpacked narrow GEMM: per image and group, out [OCg, P] = w [OCg, Cg] · x [Cg, P] + bias. Returns
 * false for anything else.
 */
export function runNarrowPointwise(path: FastPath, g: ConvProblem, epilogue?: ForwardEpilogue): boolean {
  const { N, OH, OW, groups, Cg, OCg } = g;
  const P = OH * OW;
  if (!narrowTakes(g)) return false;
  const images = N * groups;
  const target = Math.ceil(targetChunks(path.threads, images * OCg * Cg * P, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS) / images);
  const rowBlock = blockSize(OCg, target, 4);
  const rowBlocks = Math.ceil(OCg / rowBlock);
  const rt = path.runtime;
  const table = rt.tableFor(NARROW.bytes + (epilogue?.descriptorBytes ?? 0));
  NARROW.write(rt.i32, table, {
    weight: g.weight,
    image: g.image,
    out: g.out,
    bias: g.bias,
    M: OCg,
    N: P,
    K: Cg,
    groups,
    aGroup: OCg * Cg * 4,
    bGroup: Cg * P * 4,
    cGroup: OCg * P * 4,
    rowBlock,
    rowBlocks,
  });
  if (!epilogue) {
    rt.run(path.pool, "gemmNarrow", [table], images * rowBlocks, 0, images * OCg * Cg * P);
    return true;
  }
  epilogue.writeDescriptor(table + NARROW.bytes);
  rt.runModule(path.pool, epilogue.module, [table, table + NARROW.bytes], images * rowBlocks, 0, images * OCg * Cg * P);
  return true;
}
