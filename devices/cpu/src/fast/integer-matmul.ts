import { isPerTensorZeroPoint, sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { readValues, type CpuView } from "../views.ts";
import { centredABytes, IMATMUL_COLS, IMATMUL_ROWS, imatmulScratchBytes } from "../wasm/kernels/integer-matmul.ts";
import { PARALLEL_MIN_MACS, splitMatrix, targetChunks } from "./grid.ts";
import { address, contiguous, fastKernel } from "./support.ts";

/**
 * integerMatmul (ONNX MatMulInteger) on the WASM int8 kernel (wasm/kernels/integer-matmul.ts):
 * A centred into tiles of i16 rows on the calling thread, then (batch, row block, column block) chunks
 * across the pool. B is read in place from its [K, N] layout, so a weight needs no packing;
 * its columns must be contiguous (unit stride), else the reference kernel runs.
 */
export function fastIntegerMatmul(reference: CpuKernel): CpuRegistration {
  return fastKernel("integerMatmul", reference, integerMatmulFast, ["int8", "uint8"]);
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

function integerMatmulFast({ inputs: [a, b, za, zb], outputs: [y] }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const views = [a!, b!, y!, ...(za ? [za] : []), ...(zb ? [zb] : [])];
  const addresses = views.map(address);
  if (addresses.some((x) => x === undefined) || !contiguous(y!)) return false;
  const r = a!.shape.length;
  const [M, K] = [a!.shape[r - 2]!, a!.shape[r - 1]!];
  const N = b!.shape[r - 1]!;
  if (b!.strides[r - 1] !== 1 && N > 1) return false;
  const batchShape = y!.shape.slice(0, r - 2);
  const batches = sizeOf(batchShape);
  if (M * N * batches === 0) return true;
  const rt = path.runtime;
  const centredBytes = centredABytes(M, K);
  // Side tables: B's batch offsets, B's zero point per column (or four copies), A's row sums, centred A, a zero byte.
  const zbBytes = align16(4 * (zb && !isPerTensorZeroPoint(zb) ? N + IMATMUL_COLS : 4));
  const tableAt = 0;
  const zbAt = align16(4 * batches);
  const sumsAt = zbAt + zbBytes;
  const centredAt = sumsAt + align16(4 * batches * M);
  const zeroAt = centredAt + align16(batches * centredBytes);
  const base = rt.tableFor(zeroAt + 16);
  const i32 = rt.i32;
  const u8 = new Uint8Array(i32.buffer);
  u8[base + zeroAt] = 0;
  // B's batch offsets (bytes: int8 elements), in row-major batch order.
  const counter = new Array<number>(batchShape.length).fill(0);
  for (let batch = 0; batch < batches; batch++) {
    let bo = 0;
    for (let d = 0; d < batchShape.length; d++) bo += counter[d]! * b!.strides[d]!;
    i32[(base + tableAt) / 4 + batch] = bo;
    for (let d = batchShape.length - 1; d >= 0; d--) {
      if (++counter[d]! < batchShape[d]!) break;
      counter[d] = 0;
    }
  }
  const zbValues = zb ? readValues(zb) : undefined;
  const perColumn = zb !== undefined && !isPerTensorZeroPoint(zb);
  if (perColumn) i32.set(zbValues!, (base + zbAt) / 4);
  else i32.fill(zbValues ? zbValues[0]! : 0, (base + zbAt) / 4, (base + zbAt) / 4 + 4);
  // A centred, batch by batch (a's batch offsets through its strides).
  const [pa, pb, py] = addresses as [number, number, number];
  const zaAddress = za ? address(za)! : base + zeroAt;
  const zaStep = za && !isPerTensorZeroPoint(za) ? za.strides[0]! : 0;
  counter.fill(0);
  for (let batch = 0; batch < batches; batch++) {
    let ao = 0;
    for (let d = 0; d < batchShape.length; d++) ao += counter[d]! * a!.strides[d]!;
    const signedA = a!.dtype === "int8" ? 1 : 0;
    rt.call(
      "imatmulPrepareA",
      pa + ao,
      a!.strides[r - 2]!,
      a!.strides[r - 1]!,
      M,
      K,
      signedA,
      zaAddress,
      zaStep,
      base + centredAt + batch * centredBytes,
      base + sumsAt + batch * M * 4,
    );
    for (let d = batchShape.length - 1; d >= 0; d--) {
      if (++counter[d]! < batchShape[d]!) break;
      counter[d] = 0;
    }
  }
  const perBatch = Math.ceil(targetChunks(path.threads, M * N * K * batches, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS) / batches);
  const { mb, nb, gm, gn } = splitMatrix(M, N, perBatch, IMATMUL_ROWS, IMATMUL_COLS);
  const name = b!.dtype === "int8" ? "imatmulS8" : "imatmulU8";
  const bRs = b!.strides[r - 2]!;
  const args = [M, N, K, base + centredAt, pb, bRs, py, base + tableAt, base + zbAt, perColumn ? 4 : 0, base + sumsAt, mb, nb, gm, gn];
  rt.run(path.pool, name, args, batches * gm * gn, imatmulScratchBytes(K), M * N * K * batches);
  return true;
}
