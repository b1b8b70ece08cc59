import { boolAttr, sizeOf, type Attrs } from "@polychip/hal";
import type { GeneratedModule } from "../runtime/runtime.ts";
import type { CpuView } from "../views.ts";
import { matmulTableEntryBytes } from "../wasm/kernels/matmul.ts";
import type { CpuRegistration, CpuKernel } from "../kernels/registration.ts";
import { GEMM_SCRATCH_BYTES, MR, NR } from "../wasm/kernels/gemm.ts";
import { DOT_MAX_ROWS } from "../wasm/kernels/matmul-dot.ts";
import { blockSize, PARALLEL_MIN_MACS, splitMatrix, targetChunks } from "./grid.ts";
import type { FastPath } from "../device.ts";
import { fastKernelWithHalf } from "./half.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { contiguous, float32Addresses } from "./support.ts";

/**
 * float32 matmul on the WASM GEMM (float16 through float32 copies: half.ts) (or, for a few rows against a transposed weight, on plain dot
 * products: matmul-dot.ts). Operands may be any strided views (transposes, broadcast batch
 * dims): the packers read them through their strides. Each (batch entry, row block, column block)
 * of the output is one chunk for the worker pool; every output element is computed by the same
 * sequence of operations whatever the split, so results do not depend on the thread count.
 */
export function fastMatmul(reference: CpuKernel): CpuRegistration[] {
  return fastKernelWithHalf("matmul", reference, matmulFast);
}

/** float32 matmul in WASM, or false when it declines (a non-float32 or outside-WASM operand, a strided output). */
function matmulFast({ inputs: [a, b], outputs: [y], attrs }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  return runMatmul(a!, b!, y!, attrs, path);
}

/**
 * A GEMM epilogue the matmul applies in its micro-kernel (matmul-epilogue.ts): the module generated
 * for its program, each extra input's strides along the batch dimensions (elements; its batch
 * offsets go in the table after a's and b's), and the descriptor the module reads.
 */
export interface MatmulEpilogueRun {
  readonly module: GeneratedModule;
  readonly batchStrides: readonly (readonly number[])[];
  readonly descriptorBytes: number;
  readonly writeDescriptor: (address: number) => void;
  /** Where the geometry of these layouts is kept between runs (the caller keeps one per layouts). */
  readonly kept: { geometry?: MatmulGeometry };
}

/** What a matmul launch derives from its operands' layouts, its attrs and the thread count. */
export interface MatmulGeometry {
  readonly threads: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly batches: number;
  /** A few rows against Wᵀ: dot products of contiguous rows, no packing (see matmul-dot.ts). */
  readonly dot: boolean;
  readonly aRs: number;
  readonly aCs: number;
  readonly bRs: number;
  readonly bCs: number;
  /** Words per batch entry of the table, and the table: each batch entry's operand byte offsets, in row-major batch order. */
  readonly entry: number;
  readonly table: Int32Array;
  readonly perBatch: number;
}

/** Geometry of plain (epilogue-free) matmuls by attrs object and layouts: a planned session launches the same ones every run. */
const geometries = new LayoutMemo<MatmulGeometry>();

function geometryOf(a: CpuView, b: CpuView, y: CpuView, attrs: Attrs, threads: number, epilogue?: MatmulEpilogueRun): MatmulGeometry {
  const r = a.shape.length;
  const ta = boolAttr(attrs, "transposeA");
  const tb = boolAttr(attrs, "transposeB");
  const M = y.shape[r - 2]!;
  const N = y.shape[r - 1]!;
  const K = a.shape[ta ? r - 2 : r - 1]!;
  const batchShape = y.shape.slice(0, r - 2);
  const batches = sizeOf(batchShape);
  const as = a.strides;
  const bs = b.strides;
  const dot = M <= DOT_MAX_ROWS && as[ta ? r - 2 : r - 1] === 1 && bs[tb ? r - 1 : r - 2] === 1;
  const extras = epilogue?.batchStrides.length ?? 0;
  const entry = matmulTableEntryBytes(extras) / 4;
  const table = new Int32Array(batches * entry);
  const counter = new Array<number>(batchShape.length).fill(0);
  for (let batch = 0; batch < batches; batch++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < batchShape.length; d++) {
      ao += counter[d]! * as[d]!;
      bo += counter[d]! * bs[d]!;
    }
    table[entry * batch] = ao * 4;
    table[entry * batch + 1] = bo * 4;
    for (let k = 0; k < extras; k++) {
      const strides = epilogue!.batchStrides[k]!;
      let eo = 0;
      for (let d = 0; d < batchShape.length; d++) eo += counter[d]! * strides[d]!;
      table[entry * batch + 2 + k] = eo * 4;
    }
    for (let d = batchShape.length - 1; d >= 0; d--) {
      if (++counter[d]! < batchShape[d]!) break;
      counter[d] = 0;
    }
  }
  return {
    threads,
    M,
    N,
    K,
    batches,
    dot,
    aRs: 4 * as[ta ? r - 1 : r - 2]!,
    aCs: 4 * as[ta ? r - 2 : r - 1]!,
    bRs: 4 * bs[tb ? r - 1 : r - 2]!,
    bCs: 4 * bs[tb ? r - 2 : r - 1]!,
    entry,
    table,
    perBatch: Math.ceil(targetChunks(threads, M * N * K * batches, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS) / batches),
  };
}

/** The kept geometry of a plain matmul when it still applies (same layouts and thread count), else a new one kept. */
function plainGeometry(a: CpuView, b: CpuView, y: CpuView, attrs: Attrs, threads: number): MatmulGeometry {
  const inputs = [a, b];
  const outputs = [y];
  const kept = geometries.get(attrs, inputs, outputs);
  return kept && kept.threads === threads ? kept : geometries.set(attrs, geometryOf(a, b, y, attrs, threads), inputs, outputs);
}

/** An epilogue call's geometry, kept in its slot while the thread count stays (its layouts are the slot's own). */
function epilogueGeometry(a: CpuView, b: CpuView, y: CpuView, attrs: Attrs, threads: number, epilogue: MatmulEpilogueRun): MatmulGeometry {
  const kept = epilogue.kept.geometry;
  return kept && kept.threads === threads ? kept : (epilogue.kept.geometry = geometryOf(a, b, y, attrs, threads, epilogue));
}

/**
 * y = a · b (attrs transposeA/B) in WASM, with `epilogue` (built only when the GEMM runs it) in the
 * GEMM if given; false, having written nothing, when it declines: an epilogue declines K = 0 and,
 * unless it is only a bias (`dotBias`, its address), the few-row dot-product path.
 */
export function runMatmul(a: CpuView, b: CpuView, y: CpuView, attrs: Attrs, path: FastPath, epilogue?: () => MatmulEpilogueRun, dotBias?: number): boolean {
  const ptrs = float32Addresses([a, b, y]);
  if (!ptrs || !contiguous(y)) return false;
  const [pa, pb, py] = ptrs as [number, number, number];
  const plain = plainGeometry(a, b, y, attrs, path.threads);
  if (epilogue && (plain.K === 0 || plain.M * plain.N * plain.batches === 0 || (plain.dot && dotBias === undefined))) return false;
  const run = epilogue && !plain.dot ? epilogue() : undefined;
  const g = run ? epilogueGeometry(a, b, y, attrs, path.threads, run) : plain;
  const { M, N, K, batches, dot } = g;
  if (M * N * batches === 0) return true;
  const rt = path.runtime;
  if (K === 0) {
    rt.call("zeroF32", py, M * N * batches);
    return true;
  }
  const table = rt.tableFor(g.table.length * 4 + (run?.descriptorBytes ?? 0));
  rt.i32.set(g.table, table / 4);
  if (dot) {
    const nb = blockSize(N, g.perBatch, 4);
    const gn = Math.ceil(N / nb);
    rt.run(path.pool, "matmulDot", [M, N, K, pa, g.aRs, pb, g.bCs, py, table, nb, gn, dotBias ?? 0], batches * gn, 0, M * N * K * batches);
    return true;
  }
  const { mb, nb, gm, gn } = splitMatrix(M, N, g.perBatch, MR, NR);
  const args = [M, N, K, pa, g.aRs, g.aCs, pb, g.bRs, g.bCs, py, table, mb, nb, gm, gn];
  if (!run) {
    rt.run(path.pool, "matmul", args, batches * gm * gn, GEMM_SCRATCH_BYTES, M * N * K * batches);
    return true;
  }
  const descriptor = table + g.table.length * 4;
  run.writeDescriptor(descriptor);
  rt.runModule(path.pool, run.module, [...args, descriptor], batches * gm * gn, GEMM_SCRATCH_BYTES, M * N * K * batches);
  return true;
}
