import { boolAttr, sizeOf, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { plainSink, type TileSink } from "../chip/tile-sink.ts";
import { ACC_BYTES, type TensorMode } from "../chip/tensor-unit.ts";
import { TileProgram } from "../chip/tile-program.ts";
import type { NpuSimDevice } from "../device.ts";

/** Element offsets of a[..., M, K] read as [batch·M·K] in row-major (i, k) order, transposed or not. */
function operandOffsets(v: TensorView<HostBuffer>, transposed: boolean): Int32Array {
  const r = v.shape.length;
  const shape = [...v.shape.slice(0, r - 2), v.shape[transposed ? r - 1 : r - 2]!, v.shape[transposed ? r - 2 : r - 1]!];
  const strides = [...v.strides.slice(0, r - 2), v.strides[transposed ? r - 1 : r - 2]!, v.strides[transposed ? r - 2 : r - 1]!];
  return elementOffsets(shape, strides, v.offset);
}

interface MatmulTiling {
  readonly tm: number;
  readonly tn: number;
  readonly tk: number;
  /** rows: cores take row blocks and each loads all of B; columns: cores take column blocks of B and each reads all of A. */
  readonly split: "rows" | "columns";
}

/** Rows per tile never exceed this, so a core gets several tiles to pipeline. */
const MAX_TILE_ROWS = 64;

/**
 * Tile sizes for C[M,N] = A[M,K]·B[K,N]. The work is spread over the cores by rows or by columns,
 * whichever moves fewer bytes from DRAM (rows: every core reads all of B; columns: every core
 * reads all of A, so a batch-1 inference GEMM splits B across the cores). A tiles and the
 * accumulator/output live in neuron RAM (A and output double-buffered), B tiles in weight RAM
 * (double-buffered); the largest dimension halves until the footprint fits.
 */
function planMatmul(prog: TileProgram, mode: TensorMode, batch: number, M: number, N: number, K: number): MatmulTiling {
  const neuron = (tm: number, tn: number, tk: number) => 2 * tm * tk * mode.inBytes + tm * tn * ACC_BYTES + 2 * tm * tn * mode.outBytes;
  const weight = (tn: number, tk: number) => 2 * tk * tn * mode.weightBytes;
  const cores = prog.profile.cores;
  const share = Math.max(1, Math.ceil(cores / Math.max(1, batch)));
  const rowTraffic = M * K * mode.inBytes + Math.min(share, M) * K * N * mode.weightBytes;
  const colTraffic = Math.min(share, N) * M * K * mode.inBytes + K * N * mode.weightBytes;
  const split = batch < cores && colTraffic < rowTraffic ? "columns" : "rows";
  let tm = Math.max(1, Math.min(MAX_TILE_ROWS, split === "rows" ? Math.ceil(M / share) : M));
  let tn = Math.max(1, split === "columns" ? Math.ceil(N / share) : N);
  let tk = Math.max(1, K);
  while (!prog.fits(neuron(tm, tn, tk), weight(tn, tk))) {
    if (weight(tn, tk) > prog.weightCapacity && (tk > 1 || tn > 1)) {
      if (tk >= tn) tk = Math.ceil(tk / 2);
      else tn = Math.ceil(tn / 2);
    } else if (tm > 1 || tn > 1 || tk > 1) {
      const largest = Math.max(tm, tn, tk);
      if (tm === largest) tm = Math.ceil(tm / 2);
      else if (tk === largest) tk = Math.ceil(tk / 2);
      else tn = Math.ceil(tn / 2);
    } else break;
  }
  prog.reserve(neuron(tm, tn, tk), weight(tn, tk), `a [${M}, ${K}] by [${K}, ${N}] product`);
  return { tm, tn, tk, split };
}

/**
 * acc[i, j] += Σₖ a[i, k]·bᵀ[j, k] in k order, in the mode's accumulator arithmetic. The fp16 mode's
 * fp32 accumulation (the only non-int8 mode) is written out inline: the simulation spends most of
 * its time here, and the same rounding through the mode's function would be several times slower.
 */
function accumulateTile(mode: TensorMode, acc: Float64Array, a: Float64Array, bT: Float64Array, rows: number, cols: number, kk: number): void {
  for (let i = 0; i < rows; i++) {
    const aRow = i * kk;
    for (let j = 0; j < cols; j++) {
      const bCol = j * kk;
      let s = acc[i * cols + j]!;
      if (mode.int8) for (let k = 0; k < kk; k++) s = mode.accumulate(s, a[aRow + k]!, bT[bCol + k]!);
      else for (let k = 0; k < kk; k++) s = Math.fround(s + a[aRow + k]! * bT[bCol + k]!);
      acc[i * cols + j] = s;
    }
  }
}

/**
 * The tensor-unit matmul tile program, shared by the fp16 and int8 kernels: for every output block
 * (batch, row tile, column tile), assigned to the cores by row or by column block, stream K
 * tiles of A and B through on-chip RAM into the accumulator, then store the block. A core keeps
 * its B tile resident while its blocks reuse it (weight-stationary), so B is not reloaded.
 * `sink` takes each finished block row (a GEMM epilogue runs its program there, on chip).
 */
export function runMatmulProgram(
  npu: NpuSimDevice,
  op: string,
  a: TensorView<HostBuffer>,
  b: TensorView<HostBuffer>,
  y: TensorView<HostBuffer>,
  attrs: Attrs,
  mode: TensorMode,
  sink: TileSink = plainSink(y),
): void {
  const r = a.shape.length;
  const ta = boolAttr(attrs, "transposeA");
  const tb = boolAttr(attrs, "transposeB");
  const M = y.shape[r - 2]!;
  const N = y.shape[r - 1]!;
  const K = a.shape[ta ? r - 2 : r - 1]!;
  const batch = sizeOf(y.shape.slice(0, r - 2));
  const prog = new TileProgram(npu.profile, op, "tensor", a.dtype);
  prog.members = sink.members;
  const { tm, tn, tk, split } = planMatmul(prog, mode, batch, M, N, K);
  const mBlocks = Math.ceil(M / tm);
  const nBlocks = Math.ceil(N / tn);
  const aOff = operandOffsets(a, ta);
  const bOff = operandOffsets(b, tb);
  const kTiles = K === 0 ? 1 : Math.ceil(K / tk);
  const resident: (string | undefined)[] = new Array(npu.profile.cores).fill(undefined);
  for (let bi = 0; bi < batch; bi++) {
    for (let n0 = 0; n0 < N; n0 += tn) {
      for (let m0 = 0; m0 < M; m0 += tm) {
        const core = (split === "rows" ? bi * mBlocks + m0 / tm : bi * nBlocks + n0 / tn) % npu.profile.cores;
        const rows = Math.min(tm, M - m0);
        const cols = Math.min(tn, N - n0);
        const acc = new Float64Array(rows * cols);
        for (let kt = 0; kt < kTiles; kt++) {
          const k0 = kt * tk;
          const kk = Math.max(0, Math.min(tk, K - k0));
          // DMA in: the A tile row by row, the B tile unless this core already holds it.
          const aTile = new Float64Array(rows * kk);
          for (let i = 0; i < rows; i++) {
            const row = dmaLoad(a, aOff, (bi * M + m0 + i) * K + k0, kk);
            for (let k = 0; k < kk; k++) aTile[i * kk + k] = mode.activation(row[k]!);
          }
          const bKey = `${bi}/${kt}/${n0}`;
          // Held column-major on chip (the simulation's own layout: the k loop then reads both operands in order).
          const bTile = new Float64Array(kk * cols);
          for (let k = 0; k < kk; k++) {
            const row = dmaLoad(b, bOff, (bi * K + k0 + k) * N + n0, cols);
            for (let j = 0; j < cols; j++) bTile[j * kk + k] = mode.weight(row[j]!, n0 + j);
          }
          const bBytes = resident[core] === bKey ? 0 : kk * cols * mode.weightBytes;
          resident[core] = bKey;
          accumulateTile(mode, acc, aTile, bTile, rows, cols, kk);
          const macs = rows * cols * kk;
          prog.macs += macs;
          const stored = kt === kTiles - 1 ? sink.cost(prog, rows * cols) : { inBytes: 0, computeCycles: 0, outBytes: 0 };
          prog.step(core, {
            inBytes: rows * kk * mode.inBytes + bBytes + stored.inBytes,
            computeCycles: prog.tensorCycles(macs, mode.int8) + stored.computeCycles,
            outBytes: stored.outBytes,
          });
        }
        // DMA out: the finished block, row by row.
        for (let i = 0; i < rows; i++) {
          const out = new Float64Array(cols);
          for (let j = 0; j < cols; j++) out[j] = mode.finish(acc[i * cols + j]!, n0 + j);
          sink.store((bi * M + m0 + i) * N + n0, out);
        }
      }
    }
  }
  npu.record(prog.finish(mode.int8));
}
