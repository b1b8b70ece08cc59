import { boolAttr, contiguousStrides, isFloat, sizeOf } from "@polychip/hal";
import { openOutput, rawArray, readValues, type CpuView } from "../views.ts";
import { gemm } from "./gemm.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** Where the operand's elements live and how (row, col) of its last two dims maps to them. */
interface Operand {
  readonly data: ArrayLike<number>;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** float32 operands are read in place whatever their strides; others are decoded to a contiguous copy first. */
function operand(view: CpuView): Operand {
  if (view.dtype === "float32") return { data: rawArray(view.buffer, "float32"), offset: view.offset, strides: view.strides };
  return { data: readValues(view), offset: 0, strides: contiguousStrides(view.shape) };
}

/** Integer GEMM wrapping at 32 bits, as integer hardware does. */
function intGemm(
  M: number,
  N: number,
  K: number,
  A: ArrayLike<number>,
  aOff: number,
  aRs: number,
  aCs: number,
  B: ArrayLike<number>,
  bOff: number,
  bRs: number,
  bCs: number,
  out: { [i: number]: number },
  cOff: number,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc = (acc + Math.imul(A[aOff + i * aRs + k * aCs]!, B[bOff + k * bRs + j * bCs]!)) | 0;
      out[cOff + i * N + j] = acc;
    }
  }
}

/** matmul: a[..., M, K] @ b[..., K, N] per batch element; transposeA/B swap the strides of the last two dims instead of moving data. */
export const matmulKernels: CpuRegistration[] = [
  cpuKernel("matmul", ({ inputs: [a, b], outputs: [y], attrs }) => {
    const r = a!.shape.length;
    const ta = boolAttr(attrs, "transposeA");
    const tb = boolAttr(attrs, "transposeB");
    const A = operand(a!);
    const B = operand(b!);
    const M = y!.shape[r - 2]!;
    const N = y!.shape[r - 1]!;
    const K = a!.shape[ta ? r - 2 : r - 1]!;
    const aRs = A.strides[ta ? r - 1 : r - 2]!;
    const aCs = A.strides[ta ? r - 2 : r - 1]!;
    const bRs = B.strides[tb ? r - 1 : r - 2]!;
    const bCs = B.strides[tb ? r - 2 : r - 1]!;
    const batchShape = y!.shape.slice(0, r - 2);
    const batches = sizeOf(batchShape);
    const out = openOutput(y!);
    const v = out.values;
    const float = isFloat(a!.dtype);
    const acc = float ? new Float64Array(M * N) : undefined;
    const counter = new Array<number>(batchShape.length).fill(0);
    for (let batch = 0; batch < batches; batch++) {
      let aOff = A.offset;
      let bOff = B.offset;
      for (let d = 0; d < batchShape.length; d++) {
        aOff += counter[d]! * A.strides[d]!;
        bOff += counter[d]! * B.strides[d]!;
      }
      if (acc) {
        acc.fill(0);
        gemm(M, N, K, A.data, aOff, aRs, aCs, B.data, bOff, bRs, bCs, acc, 0);
        v.set(acc, batch * M * N);
      } else {
        intGemm(M, N, K, A.data, aOff, aRs, aCs, B.data, bOff, bRs, bCs, v, batch * M * N);
      }
      for (let d = batchShape.length - 1; d >= 0; d--) {
        if (++counter[d]! < batchShape[d]!) break;
        counter[d] = 0;
      }
    }
    out.commit();
  }),
];
