/**
 * Dense float GEMM: C[i, j] += Σ_k A(i, k) · B(k, j), with A(i, k) at A[aOff + i·aRs + k·aCs] and
 * B(k, j) at B[bOff + k·bRs + j·bCs] for any strides (transposed operands are just other strides),
 * C row-major with row stride cRs. Operands hold float32-representable values.
 *
 * Both operands are packed, one block of K at a time, into panels of 4 rows (A) and 4 columns (B)
 * so that a 4x4 register tile reads memory sequentially; this runs several times faster than a
 * plain i-k-j loop in V8. Accumulation is float64 within a K block, and C is float64.
 */

type Floats = ArrayLike<number>;

/** K block: an A panel and a B panel of this depth (4 KiB each) stay in L1. */
const KC = 256;

export function gemm(
  M: number,
  N: number,
  K: number,
  A: Floats,
  aOff: number,
  aRs: number,
  aCs: number,
  B: Floats,
  bOff: number,
  bRs: number,
  bCs: number,
  C: Float64Array,
  cOff: number,
  cRs: number = N,
): void {
  if (M === 0 || N === 0 || K === 0) return;
  const mPanels = Math.ceil(M / 4);
  const nPanels = Math.ceil(N / 4);
  const kc0 = Math.min(K, KC);
  const packA = new Float32Array(mPanels * 4 * kc0);
  const packB = new Float32Array(nPanels * 4 * kc0);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    packPanels(packA, A, aOff + k0 * aCs, M, kc, aRs, aCs);
    packPanels(packB, B, bOff + k0 * bRs, N, kc, bCs, bRs);
    for (let q = 0; q < mPanels; q++) {
      for (let p = 0; p < nPanels; p++) {
        tile4x4(kc, packA, q * 4 * kc, packB, p * 4 * kc, C, cOff + q * 4 * cRs + p * 4, cRs, Math.min(4, M - q * 4), Math.min(4, N - p * 4));
      }
    }
  }
}

/**
 * Packs `lines` lines (rows of A, columns of B) of depth kc into panels of 4 interleaved lines:
 * out[(panel·kc + k)·4 + r] = src[off + (4·panel + r)·lineStride + k·depthStride], zero past the last line.
 */
function packPanels(out: Float32Array, src: Floats, off: number, lines: number, kc: number, lineStride: number, depthStride: number): void {
  const panels = Math.ceil(lines / 4);
  for (let panel = 0; panel < panels; panel++) {
    const base = panel * 4 * kc;
    for (let r = 0; r < 4; r++) {
      const line = panel * 4 + r;
      if (line >= lines) {
        for (let k = 0; k < kc; k++) out[base + k * 4 + r] = 0;
        continue;
      }
      let s = off + line * lineStride;
      for (let k = 0; k < kc; k++, s += depthStride) out[base + k * 4 + r] = src[s]!;
    }
  }
}

/** C[4x4 tile at c] += packed A panel · packed B panel over kc; only the first rows x cols of the tile are real. */
function tile4x4(
  kc: number,
  pa: Float32Array,
  a: number,
  pb: Float32Array,
  b: number,
  C: Float64Array,
  c: number,
  cRs: number,
  rows: number,
  cols: number,
): void {
  let s00 = 0,
    s01 = 0,
    s02 = 0,
    s03 = 0,
    s10 = 0,
    s11 = 0,
    s12 = 0,
    s13 = 0;
  let s20 = 0,
    s21 = 0,
    s22 = 0,
    s23 = 0,
    s30 = 0,
    s31 = 0,
    s32 = 0,
    s33 = 0;
  for (let k = 0; k < kc; k++, a += 4, b += 4) {
    const a0 = pa[a]!,
      a1 = pa[a + 1]!,
      a2 = pa[a + 2]!,
      a3 = pa[a + 3]!;
    const b0 = pb[b]!,
      b1 = pb[b + 1]!,
      b2 = pb[b + 2]!,
      b3 = pb[b + 3]!;
    s00 += a0 * b0;
    s01 += a0 * b1;
    s02 += a0 * b2;
    s03 += a0 * b3;
    s10 += a1 * b0;
    s11 += a1 * b1;
    s12 += a1 * b2;
    s13 += a1 * b3;
    s20 += a2 * b0;
    s21 += a2 * b1;
    s22 += a2 * b2;
    s23 += a2 * b3;
    s30 += a3 * b0;
    s31 += a3 * b1;
    s32 += a3 * b2;
    s33 += a3 * b3;
  }
  if (rows === 4 && cols === 4) {
    C[c] += s00;
    C[c + 1] += s01;
    C[c + 2] += s02;
    C[c + 3] += s03;
    c += cRs;
    C[c] += s10;
    C[c + 1] += s11;
    C[c + 2] += s12;
    C[c + 3] += s13;
    c += cRs;
    C[c] += s20;
    C[c + 1] += s21;
    C[c + 2] += s22;
    C[c + 3] += s23;
    c += cRs;
    C[c] += s30;
    C[c + 1] += s31;
    C[c + 2] += s32;
    C[c + 3] += s33;
    return;
  }
  const tile = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) C[c + r * cRs + j] += tile[r * 4 + j]!;
}
