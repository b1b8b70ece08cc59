import { boolAttr, dtypeBytes, isFloat, sizeOf, type Attrs, type TensorView } from "@polychip/hal";
import { elementOffsets, type HostBuffer } from "@polychip/plugin-sdk";
import { dmaLoad } from "../chip/dma.ts";
import { plainSink, type TileSink } from "../chip/tile-sink.ts";
import { TileProgram } from "../chip/tile-program.ts";
import { npuOf, type NpuSimDevice } from "../device.ts";
import { npuKernel, type NpuKernel, type NpuRegistration } from "./registration.ts";

/** a[..., M, K] (or its transpose) as row-major [batch, M, K] values, through any strides and offset. */
function loadOperand(v: TensorView<HostBuffer>, transposed: boolean): Float64Array {
  const r = v.shape.length;
  const shape = [...v.shape.slice(0, r - 2), v.shape[transposed ? r - 1 : r - 2]!, v.shape[transposed ? r - 2 : r - 1]!];
  const strides = [...v.strides.slice(0, r - 2), v.strides[transposed ? r - 1 : r - 2]!, v.strides[transposed ? r - 2 : r - 1]!];
  const offsets = elementOffsets(shape, strides, v.offset);
  return dmaLoad(v, offsets, 0, offsets.length);
}

/**
 * matmul for the dtypes the tensor unit has no multipliers for (float32, int32, int8/uint8 with
 * wrapping semantics): the vector unit does it as lane-parallel multiply-adds, one MAC per lane
 * per cycle at the 32-bit (half) rate. Each core takes row blocks of the output; B stays resident
 * in weight RAM (column blocks when it does not fit), A rows and output rows stream through neuron
 * RAM double-buffered. float32 accumulates in fp32 order-by-k as the lanes do; integers wrap at 32 bits.
 */
const vectorMatmul: NpuKernel = ({ inputs: [a, b], outputs: [y], attrs }, device) => {
  runVectorMatmul(npuOf(device, "matmul"), "matmul", a!, b!, y!, attrs, plainSink(y!));
};

/** The vector-unit matmul program; `sink` takes each finished output row (a GEMM epilogue runs its program there). */
export function runVectorMatmul(
  npu: NpuSimDevice,
  op: string,
  a: TensorView<HostBuffer>,
  b: TensorView<HostBuffer>,
  y: TensorView<HostBuffer>,
  attrs: Attrs,
  sink: TileSink,
): void {
  const r = a.shape.length;
  const ta = boolAttr(attrs, "transposeA");
  const tb = boolAttr(attrs, "transposeB");
  const M = y.shape[r - 2]!;
  const N = y.shape[r - 1]!;
  const K = a.shape[ta ? r - 2 : r - 1]!;
  const batches = sizeOf(y.shape.slice(0, r - 2));
  const bytes = dtypeBytes(a.dtype);
  const prog = new TileProgram(npu.profile, op, "vector", a.dtype);
  prog.members = sink.members;
  // Tiling: column blocks of B that fit the weight RAM double-buffered, then row blocks of A and the output.
  let tn = N;
  while (tn > 1 && 2 * K * tn * bytes > prog.weightCapacity) tn = Math.ceil(tn / 2);
  const rowBytes = 2 * (K + tn) * bytes + tn * 4;
  const tm = Math.max(1, Math.min(M, Math.ceil(M / npu.profile.cores), Math.floor(prog.neuronCapacity / rowBytes)));
  prog.reserve(tm * rowBytes, 2 * K * tn * bytes, `a [${M}, ${K}] by [${K}, ${N}] product on the vector unit`);
  const A = loadOperand(a, ta);
  const B = loadOperand(b, tb);
  const float = isFloat(a.dtype);
  const row = new Float64Array(N);
  let block = 0;
  for (let batch = 0; batch < batches; batch++) {
    for (let i = 0; i < M; i++) {
      row.fill(0);
      const aBase = (batch * M + i) * K;
      const bBase = batch * K * N;
      for (let k = 0; k < K; k++) {
        const av = A[aBase + k]!;
        const bRow = bBase + k * N;
        if (float) {
          for (let j = 0; j < N; j++) row[j] = Math.fround(row[j]! + av * B[bRow + j]!);
        } else {
          for (let j = 0; j < N; j++) row[j] = (row[j]! + Math.imul(av, B[bRow + j]!)) | 0;
        }
      }
      sink.store((batch * M + i) * N, row);
    }
    for (let n0 = 0; n0 < N; n0 += tn) {
      const cols = Math.min(tn, N - n0);
      for (let m0 = 0; m0 < M; m0 += tm, block++) {
        const rows = Math.min(tm, M - m0);
        const macs = rows * cols * K;
        prog.macs += macs;
        // A core loads its B block once per batch element (weight-stationary), then streams A rows.
        const first = m0 < tm * npu.profile.cores;
        const stored = sink.cost(prog, rows * cols);
        prog.step(block, {
          inBytes: rows * K * bytes + (first ? K * cols * bytes : 0) + stored.inBytes,
          computeCycles: prog.vectorCycles(macs, 1, bytes >= 4) + stored.computeCycles,
          outBytes: stored.outBytes,
        });
      }
    }
  }
  npu.record(prog.finish());
}

export const vectorMatmulKernels: NpuRegistration[] = [npuKernel("matmul", ["float32", "int32", "int8", "uint8"], vectorMatmul)];

/** float16 matmul on the vector unit, for a chip whose tensor unit has int8 multipliers only. */
export const vectorMatmulFp16Kernels: NpuRegistration[] = [npuKernel("matmul", ["float16"], vectorMatmul)];
