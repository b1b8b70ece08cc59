import { boolAttr, isFloat, sizeOf, type KernelRegistration } from "@polychip/hal";
import { loadValues, storeValues, type HostBuffer } from "@polychip/plugin-sdk";

/**
 * matmul: a[..., M, K] @ b[..., K, N] for each batch element; transposeA/B read an operand with its
 * last two dims swapped. Floats accumulate in float64; integers wrap at 32 bits, then the store
 * wraps to the dtype (the HAL's integer rule).
 */
export const matmulKernels: KernelRegistration<HostBuffer>[] = [
  {
    device: "template",
    op: "matmul",
    dtypes: "*",
    kernel: ({ inputs: [a, b], outputs: [y], attrs }) => {
      const r = a!.shape.length;
      const ta = boolAttr(attrs, "transposeA");
      const tb = boolAttr(attrs, "transposeB");
      const M = y!.shape[r - 2]!;
      const N = y!.shape[r - 1]!;
      const K = a!.shape[ta ? r - 2 : r - 1]!;
      const A = loadValues(a!);
      const B = loadValues(b!);
      const float = isFloat(a!.dtype);
      const batches = sizeOf(y!.shape.slice(0, r - 2));
      const out = new Float64Array(batches * M * N);
      for (let batch = 0; batch < batches; batch++) {
        const aBase = batch * M * K;
        const bBase = batch * K * N;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let acc = 0;
            for (let k = 0; k < K; k++) {
              const av = A[aBase + (ta ? k * M + i : i * K + k)]!;
              const bv = B[bBase + (tb ? j * K + k : k * N + j)]!;
              acc = float ? acc + av * bv : (acc + Math.imul(av, bv)) | 0;
            }
            out[(batch * M + i) * N + j] = acc;
          }
        }
      }
      storeValues(y!, out);
    },
  },
];
