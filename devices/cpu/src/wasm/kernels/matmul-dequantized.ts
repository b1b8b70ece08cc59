/**
 * matmulDequantized: C (float32) = A · ((W − zero point) · scale) for float32 A [M, K] and an
 * int8/uint8 weight W [K, N], per tensor or per column.
 *
 * `mmdqPackA` copies A into tiles of MMDQ_ROWS rows, each column k of a tile's rows side by side
 * (32 bytes), so two loads bring a tile's A[m][k] and each row's splat is a lane shuffle of them.
 * `mmdqU8` / `mmdqS8` (W's signedness) read eight columns of W's row k straight from its [K, N]
 * layout — no packing and no float copy, so a weight is read at a quarter of its float32 size —
 * widen them to i16 (`load8x8`), subtract the zero point there (|w − z| ≤ 255 fits), then widen to
 * i32 and convert to two f32x4 (exact: small integers). Each row of a tile multiplies them by its
 * splatted A[m][k] and adds into two accumulators, k in order; the column scale is applied once at
 * the store: C[m][n] = scale[n] · Σ_k A[m][k]·(W[k][n] − z[n]). That is the decomposition's value
 * up to float rounding (it rounds (w − z)·scale per element and sums in the GEMM's order), not bit-equal.
 *
 * A chunk is one (row block, column block) of C; inside it, groups of eight columns go outermost
 * within a panel of rows so the group's slice of W (K × 8 bytes) stays in L1 for every row tile.
 * `zp` holds the zero point as i16 (one per column, or eight copies with `zpStep` 0), `scale` the
 * scales as f32 (one per column, or four copies with `scaleStep` 0), both padded by eight columns.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { columnPanels } from "./column-panels.ts";
import { f32, f32x4, forRange, get, i16x8, i32, i32x4, inc, lanes32, minS, set, v128 } from "../instructions.ts";

/**
 * Rows of C sharing each widened row of W: one tile of packed A. The widening costs as much as four
 * rows' multiply-adds, so eight rows (a decoder step's seven in one tile) beat four. Their splats
 * come from two 16-byte loads by lane shuffles: eight separate splatting loads kept eight more
 * vectors live and TurboFan spilled splats and accumulators every step ([7, 288] @ [288, 32768]
 * about 5.7 ms then, 4.7 ms now, one thread).
 */
export const MMDQ_ROWS = 8;
const ROWS = MMDQ_ROWS;
/** Bytes of one column k of a tile of packed A: A[m][k] of its rows, f32 each. */
const COLUMN_BYTES = 4 * ROWS;

/** Bytes of packed A: M rows rounded up to whole tiles of K floats. */
export const packedABytes = (M: number, K: number): number => Math.ceil(M / ROWS) * ROWS * K * 4;
/** Columns of C per group (two f32x4 accumulators per row). */
export const MMDQ_COLS = 8;
/** Rows that pass over one column group before the next group starts. */
const PANEL_ROWS = 32;

export function emitMatmulDequantized(mod: ModuleBuilder, options: { fma: boolean }): void {
  emitPackA(mod);
  emitProduct(mod, "mmdqU8", false, options.fma);
  emitProduct(mod, "mmdqS8", true, options.fma);
}

/** Row m of A (rows aRs bytes apart, columns contiguous) into lane m % ROWS of its tile of dst. */
function emitPackA(mod: ModuleBuilder): FunctionBuilder {
  const params = i32Params("a", "aRs", "M", "K", "dst");
  return defineFunction(mod, "mmdqPackA", { params }, (p, fn) => {
    const [m, k, src, out] = locals(fn, "i32", 4);
    return forRange(
      m,
      i32.const(0),
      get(p.M),
      1,
      set(src, i32.add(get(p.a), i32.mul(get(m), get(p.aRs)))),
      set(out, i32.add(get(p.dst), tileLane(get(m), get(p.K)))),
      forRange(k, i32.const(0), get(p.K), 1, f32.store(get(out), f32.load(get(src))), inc(src, 4), inc(out, COLUMN_BYTES)),
    );
  });
}

/** Byte offset of row m's lane in packed A: its tile (K columns of COLUMN_BYTES) plus four bytes per row before it in the tile. */
function tileLane(m: Code, K: Code): Code {
  return i32.add(i32.mul(i32.mul(i32.div_u(m, i32.const(ROWS)), K), i32.const(COLUMN_BYTES)), i32.shl(i32.rem_u(m, i32.const(ROWS)), i32.const(2)));
}

function emitProduct(mod: ModuleBuilder, name: string, signed: boolean, fma: boolean): FunctionBuilder {
  const params = i32Params("M", "N", "K", "a", "b", "bRs", "c", "zp", "zpStep", "scale", "scaleStep", "mb", "nb", "gm", "gn", "chunk0", "chunk1", "scratch");
  return defineFunction(mod, name, { params }, (p, fn) => {
    const [ch, mi, r0, r1, c0, c1, j, i, k, bp, ap, aRow] = locals(fn, "i32", 12);
    const acc = Array.from({ length: ROWS }, () => locals(fn, "v128", 2));
    const [wv, lo, hi, av, zv] = locals(fn, "v128", 5);
    const aqs = locals(fn, "v128", ROWS / 4);
    const [sum] = locals(fn, "f32", 1);
    const loadW = signed ? v128.load8x8s : v128.load8x8u;
    const loadByte = signed ? i32.load8s : i32.load8u;
    const madd = (x: Code, y: Code, c: Code): Code => (fma ? f32x4.relaxedMadd(x, y, c) : f32x4.add(c, f32x4.mul(x, y)));
    const R = (rows: number) => Array.from({ length: rows }, (_, r) => r);

    // Rows i.. i+rows of C (i a multiple of ROWS: the start of a tile of packed A), columns j.. j+8.
    const tile = (rows: number): Code[] => [
      R(rows).map((r) => [set(acc[r]![0]!, f32x4.splat(f32.const(0))), set(acc[r]![1]!, f32x4.splat(f32.const(0)))]),
      set(ap, i32.add(get(p.a), i32.mul(i32.mul(get(i), get(p.K)), i32.const(4)))),
      set(zv, v128.load(i32.add(get(p.zp), i32.mul(get(j), get(p.zpStep))))),
      set(bp, i32.add(get(p.b), get(j))),
      forRange(
        k,
        i32.const(0),
        get(p.K),
        1,
        set(wv, i16x8.sub(loadW(get(bp)), get(zv))),
        set(lo, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(get(wv)))),
        set(hi, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(get(wv)))),
        // The tile's A[m][k], four rows a vector; row r's splat is lane r % 4 of vector r / 4.
        aqs.map((q, n) => (4 * n < rows ? set(q, v128.load(get(ap), 16 * n)) : [])),
        R(rows).map((r) => [
          set(av, v128.shuffle(get(aqs[r >> 2]!), get(aqs[r >> 2]!), lanes32(r & 3, r & 3, r & 3, r & 3))),
          set(acc[r]![0]!, madd(get(av), get(lo), get(acc[r]![0]!))),
          set(acc[r]![1]!, madd(get(av), get(hi), get(acc[r]![1]!))),
        ]),
        inc(bp, get(p.bRs)),
        inc(ap, COLUMN_BYTES),
      ),
      set(lo, v128.load(i32.add(get(p.scale), i32.mul(get(j), get(p.scaleStep))))),
      set(hi, v128.load(i32.add(get(p.scale), i32.mul(i32.add(get(j), i32.const(4)), get(p.scaleStep))))),
      R(rows).map((r) => {
        const out = i32.add(get(p.c), i32.shl(i32.add(i32.mul(i32.add(get(i), i32.const(r)), get(p.N)), get(j)), i32.const(2)));
        return [v128.store(out, f32x4.mul(get(acc[r]![0]!), get(lo))), v128.store(out, f32x4.mul(get(acc[r]![1]!), get(hi)), 16)];
      }),
    ];
    // One output (row i, column j) in scalar code: the columns past the last group of eight.
    const single: Code[] = [
      set(aRow, i32.add(get(p.a), tileLane(get(i), get(p.K)))),
      set(bp, i32.add(get(p.b), get(j))),
      set(sum, f32.const(0)),
      forRange(
        k,
        i32.const(0),
        get(p.K),
        1,
        set(
          sum,
          f32.add(
            get(sum),
            f32.mul(
              f32.load(i32.add(get(aRow), i32.mul(get(k), i32.const(COLUMN_BYTES)))),
              f32.convert_i32_s(i32.sub(loadByte(get(bp)), i32.load16s(i32.add(get(p.zp), i32.mul(get(j), get(p.zpStep)))))),
            ),
          ),
        ),
        inc(bp, get(p.bRs)),
      ),
      f32.store(
        i32.add(get(p.c), i32.shl(i32.add(i32.mul(get(i), get(p.N)), get(j)), i32.const(2))),
        f32.mul(get(sum), f32.load(i32.add(get(p.scale), i32.mul(get(j), get(p.scaleStep))))),
      ),
    ];
    return [
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        set(mi, i32.div_u(get(ch), get(p.gn))),
        set(r0, i32.mul(get(mi), get(p.mb))),
        set(r1, minS(i32.add(get(r0), get(p.mb)), get(p.M))),
        set(c0, i32.mul(i32.sub(get(ch), i32.mul(get(mi), get(p.gn))), get(p.nb))),
        set(c1, minS(i32.add(get(c0), get(p.nb)), get(p.N))),
        columnPanels(fn, { r0, r1, c0, c1, i, j, rows: ROWS, cols: MMDQ_COLS, panelRows: PANEL_ROWS, tile, single }),
      ),
    ];
  });
}
