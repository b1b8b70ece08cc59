import { isPerTensorZeroPoint, sizeOf } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { readValues } from "../views.ts";
import { MMDQ_COLS, MMDQ_ROWS, packedABytes } from "../wasm/kernels/matmul-dequantized.ts";
import { PARALLEL_MIN_MACS, splitMatrix, targetChunks } from "./grid.ts";
import { address, contiguous, fastKernel } from "./support.ts";

/**
 * matmulDequantized on the WASM kernel (wasm/kernels/matmul-dequantized.ts): a float32 activation,
 * packed into row tiles on the calling thread, times an int8/uint8 weight read in place from its
 * [K, N] layout, (row block, column block) chunks across the pool. The weight's columns must be
 * contiguous and A's rows evenly strided
 * (a batched A contiguous), else the reference decomposition runs.
 */
export function fastMatmulDequantized(reference: CpuKernel): CpuRegistration {
  return fastKernel("matmulDequantized", reference, matmulDequantizedFast, ["float32"]);
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

function matmulDequantizedFast({ inputs: [a, w, scale, zp], outputs: [y] }: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const [pa, pw, py] = [a!, w!, y!].map(address);
  if (pa === undefined || pw === undefined || py === undefined || !contiguous(y!)) return false;
  const r = a!.shape.length;
  const [K, N] = [w!.shape[0]!, w!.shape[1]!];
  const M = sizeOf(a!.shape.slice(0, -1));
  if ((r > 2 && !contiguous(a!)) || (a!.strides[r - 1] !== 1 && K > 1) || (w!.strides[1] !== 1 && N > 1)) return false;
  if (M * N === 0) return true;
  const rt = path.runtime;
  // Side tables: the zero point as i16 and the scale as f32, per column (padded by a group) or a group's copies; A packed.
  const zpPerColumn = zp !== undefined && !isPerTensorZeroPoint(zp);
  const scalePerColumn = !isPerTensorZeroPoint(scale!);
  const zpAt = 0;
  const scaleAt = align16(2 * (zpPerColumn ? N + MMDQ_COLS : MMDQ_COLS));
  const packedAt = scaleAt + align16(4 * (scalePerColumn ? N + MMDQ_COLS : MMDQ_COLS));
  const base = rt.tableFor(packedAt + packedABytes(M, K));
  const zps = new Int16Array(rt.i32.buffer, base + zpAt, zpPerColumn ? N + MMDQ_COLS : MMDQ_COLS);
  const zpValues = zp ? readValues(zp) : undefined;
  if (zpPerColumn) zps.set(zpValues!);
  else zps.fill(zpValues ? zpValues[0]! : 0);
  const scales = new Float32Array(rt.i32.buffer, base + scaleAt, scalePerColumn ? N + MMDQ_COLS : MMDQ_COLS);
  const scaleValues = readValues(scale!);
  if (scalePerColumn) scales.set(scaleValues);
  else scales.fill(scaleValues[0]!);
  const chunks = targetChunks(path.threads, M * N * K, PARALLEL_MIN_MACS / 4, PARALLEL_MIN_MACS);
  const { mb, nb, gm, gn } = splitMatrix(M, N, chunks, MMDQ_ROWS, MMDQ_COLS);
  const name = w!.dtype === "int8" ? "mmdqS8" : "mmdqU8";
  const aRs = (r > 2 ? K : a!.strides[r - 2]!) * 4;
  rt.call("mmdqPackA", pa, aRs, M, K, base + packedAt);
  const args = [M, N, K, base + packedAt, pw, w!.strides[0]!, py, base + zpAt, zpPerColumn ? 2 : 0, base + scaleAt, scalePerColumn ? 4 : 0, mb, nb, gm, gn];
  rt.run(path.pool, name, args, gm * gn, 0);
  return true;
}
