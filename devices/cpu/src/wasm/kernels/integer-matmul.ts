/**
 * integerMatmul: C (int32) = (A − aZero)(B − bZero) for int8/uint8 A [M, K] and B [K, N], exact.
 *
 * `imatmulPrepareA` writes A centred by its zero point as i16 in tiles of IMATMUL_ROWS rows: for
 * each pair of columns k, k+1 the tile's rows hold (A[m][k], A[m][k+1]) side by side, four bytes
 * a row (K padded to even with a zero), so a row's pair is one 4-byte splatting load from the
 * tile; it also writes each row's sum. (An earlier measurement found four splatting loads let
 * TurboFan hoist four live splats — with eight accumulators and B's two vectors more than x64's
 * fifteen vector registers — and the spill cost about a third, so rows were splatted by lane
 * shuffles of one 16-byte load. On Zen 4 with Node 20 each load next to its two products measures
 * 3% faster than the shuffles on Moonshine's 19-row GEMMs, the shuffle port being the busier.)
 * `imatmulU8` / `imatmulS8` (B's signedness) then take pairs of B's rows k, k+1 straight from
 * their [K, N] layout — no packing, so a constant weight is read as stored, a quarter of its
 * float32 size — widen eight columns of each to i16 (`load8x8`), interleave them into
 * (B[k][n], B[k+1][n]) pairs (per tile, or once per column group: see `group`) and multiply with the
 * splatted pair (A[m][k], A[m][k+1]) by `i32x4.dot_i16x8_s`: four columns' two products, summed in
 * i32. |A − aZero| ≤ 255 and |B| ≤ 255, so no i16 product overflows and the i32 sums wrap exactly
 * as integer hardware's do. B's zero point comes off at the end: Σ a(b − z) = Σ ab − z·Σ a.
 *
 * A chunk is one (batch, row block, column block) of C. Inside it, groups of eight columns go
 * outermost so that the group's slice of B (K × 8 bytes) stays in L1 while every row of a panel
 * of rows passes over it (a decoder step has a handful of rows against 32768 columns).
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { columnPanels } from "./column-panels.ts";
import { choose, forRange, get, i16x8, i32, i32x4, ifElse, inc, minS, set, v128, when, whileLoop } from "../instructions.ts";

/** Rows of C sharing each widened pair of B's rows: one tile of centred A. Row blocks are multiples of it. */
export const IMATMUL_ROWS = 4;
const ROWS = IMATMUL_ROWS;
/** Bytes of one pair of columns of a tile of centred A: an (A[m][k], A[m][k+1]) i16 pair per row. */
const PAIR_BYTES = 4 * ROWS;
/** Columns of C per group (two i32x4 accumulators per row). */
export const IMATMUL_COLS = 8;
/** Rows that pass over one column group before the next group starts (A's panel stays in L2). */
const PANEL_ROWS = 32;

const PAIRS_LO = [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23];
const PAIRS_HI = [8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31];

/** Scratch bytes a participant needs: one column group's pairs of B's rows as i16. */
export const imatmulScratchBytes = (K: number): number => ((K + 1) >> 1) * 32;

/** Bytes of centred A for one batch entry: M rows rounded up to whole tiles, K i16 values padded to an even count. */
export const centredABytes = (M: number, K: number): number => Math.ceil(M / ROWS) * ROWS * ((K + 1) & ~1) * 2;

export function emitIntegerMatmul(mod: ModuleBuilder): void {
  emitPrepareA(mod);
  emitProduct(mod, "imatmulU8", false);
  emitProduct(mod, "imatmulS8", true);
}

/**
 * Row m of A − zero point into its tile of dst (i16 pairs, see above; an odd K padded with 0),
 * sums[m] = Σ of that row; A read through byte strides. Contiguous rows go eight bytes a step
 * (widened, centred, summed in i32 and stored as four pairs), the rest one byte at a time.
 */
function emitPrepareA(mod: ModuleBuilder): FunctionBuilder {
  const params = i32Params("a", "aRs", "aCs", "M", "K", "signed", "za", "zaStep", "dst", "sums");
  return defineFunction(mod, "imatmulPrepareA", { params }, (p, fn) => {
    const [m, k, src, row, zp, v, sum, rowStride, out] = locals(fn, "i32", 9);
    const [zv, cv, sums] = locals(fn, "v128", 3);
    const byte = (addr: Code) => choose("i32", get(p.signed), i32.load8s(addr), i32.load8u(addr));
    // Where A[m][k] goes: the tile's pair k/2, the row's lane, the pair's half.
    const at = (kk: Code) =>
      i32.add(get(row), i32.add(i32.mul(i32.shr_u(kk, i32.const(1)), i32.const(PAIR_BYTES)), i32.shl(i32.and(kk, i32.const(1)), i32.const(1))));
    // Eight columns k.. k+8 (k a multiple of eight): four pairs, PAIR_BYTES apart; Σ by a dot with ones.
    const eight = (load: (addr: Code) => Code): Code =>
      whileLoop(
        i32.le_s(i32.add(get(k), i32.const(8)), get(p.K)),
        set(cv, i16x8.sub(load(get(src)), get(zv))),
        [0, 1, 2, 3].map((lane) => v128.store32Lane(get(out), get(cv), lane, lane * PAIR_BYTES)),
        set(sums, i32x4.add(get(sums), i32x4.dot_i16x8_s(get(cv), v128.const(new Array<number>(8).fill(0).flatMap(() => [1, 0]))))),
        inc(src, 8),
        inc(out, 4 * PAIR_BYTES),
        inc(k, 8),
      );
    return [
      // A tile's bytes per row of the tile: K padded to even, two bytes each.
      set(rowStride, i32.shl(i32.and(i32.add(get(p.K), i32.const(1)), i32.const(-2)), i32.const(1))),
      forRange(
        m,
        i32.const(0),
        get(p.M),
        1,
        set(zp, byte(i32.add(get(p.za), i32.mul(get(m), get(p.zaStep))))),
        set(src, i32.add(get(p.a), i32.mul(get(m), get(p.aRs)))),
        // The tile starts at row m − m % ROWS; within it, the row's lane is four bytes wide.
        set(
          row,
          i32.add(
            get(p.dst),
            i32.add(i32.mul(i32.sub(get(m), i32.rem_u(get(m), i32.const(ROWS))), get(rowStride)), i32.shl(i32.rem_u(get(m), i32.const(ROWS)), i32.const(2))),
          ),
        ),
        set(k, i32.const(0)),
        set(sum, i32.const(0)),
        when(
          i32.eq(get(p.aCs), i32.const(1)),
          // The zero point in every i16 lane.
          set(zv, i32x4.splat(i32.mul(i32.and(get(zp), i32.const(0xffff)), i32.const(0x10001)))),
          set(sums, i32x4.splat(i32.const(0))),
          set(out, get(row)),
          ifElse(get(p.signed), [eight(v128.load8x8s)], [eight(v128.load8x8u)]),
          set(
            sum,
            i32.add(
              i32.add(i32x4.extractLane(get(sums), 0), i32x4.extractLane(get(sums), 1)),
              i32.add(i32x4.extractLane(get(sums), 2), i32x4.extractLane(get(sums), 3)),
            ),
          ),
        ),
        whileLoop(
          i32.lt_s(get(k), get(p.K)),
          set(v, i32.sub(byte(get(src)), get(zp))),
          i32.store16(at(get(k)), get(v)),
          set(sum, i32.add(get(sum), get(v))),
          inc(src, get(p.aCs)),
          inc(k, 1),
        ),
        when(i32.and(get(p.K), i32.const(1)), i32.store16(at(get(p.K)), i32.const(0))),
        i32.store(i32.add(get(p.sums), i32.shl(get(m), i32.const(2))), get(sum)),
      ),
    ];
  });
}

function emitProduct(mod: ModuleBuilder, name: string, signed: boolean): FunctionBuilder {
  const params = i32Params("M", "N", "K", "a", "b", "bRs", "c", "table", "zb", "zbStep", "sums", "mb", "nb", "gm", "gn", "chunk0", "chunk1", "scratch");
  return defineFunction(mod, name, { params }, (p, fn) => {
    const [ch, batch, rem, mi, r0, r1, c0, c1, j, i, kk, pairs, bp, ap, k, sum] = locals(fn, "i32", 16);
    const [aBatch, bBatch, cBatch, sBatch, rowStride, bStep, perBatch, aRow, sp, padded, viaScratch] = locals(fn, "i32", 11);
    const acc = Array.from({ length: ROWS }, () => locals(fn, "v128", 2));
    const [b0, b1, lo, hi, av, z0, z1, s] = locals(fn, "v128", 8);
    const loadB = signed ? v128.load8x8s : v128.load8x8u;
    const loadByte = signed ? i32.load8s : i32.load8u;
    const R = (rows: number) => Array.from({ length: rows }, (_, r) => r);

    // Every row's two accumulators over one pair of B's rows (lo, hi: its interleaved halves) and the tile's A pairs at ap.
    const accumulate = (rows: number): Code[] => [
      // Row r's (A[m][k], A[m][k+1]) pair, splatted, at lane r of the tile's pairs.
      R(rows).map((r) => [
        set(av, v128.load32Splat(get(ap), 4 * r)),
        set(acc[r]![0]!, i32x4.add(get(acc[r]![0]!), i32x4.dot_i16x8_s(get(lo), get(av)))),
        set(acc[r]![1]!, i32x4.add(get(acc[r]![1]!), i32x4.dot_i16x8_s(get(hi), get(av)))),
      ]),
    ];
    // B's rows at bp and `second` widened and interleaved into (B[k][n], B[k+1][n]) pairs.
    const pairUp = (second: Code): Code[] => [
      set(b0, loadB(get(bp))),
      set(b1, second),
      set(lo, v128.shuffle(get(b0), get(b1), PAIRS_LO)),
      set(hi, v128.shuffle(get(b0), get(b1), PAIRS_HI)),
    ];
    // A panel of more than two tiles pairs up the column group's B once into the scratch, 32 bytes
    // a pair of rows (an odd K's last row paired with itself, against A's zero padding), and its
    // tiles read the pairs from there; fewer tiles pair B up as they go (the scratch would not pay).
    const group: Code[] = [
      when(
        get(viaScratch),
        set(bp, i32.add(get(bBatch), get(j))),
        set(sp, get(p.scratch)),
        forRange(
          kk,
          i32.const(0),
          get(pairs),
          1,
          pairUp(loadB(i32.add(get(bp), get(p.bRs)))),
          v128.store(get(sp), get(lo)),
          v128.store(get(sp), get(hi), 16),
          inc(bp, get(bStep)),
          inc(sp, 32),
        ),
        when(i32.and(get(p.K), i32.const(1)), pairUp(get(b0)), v128.store(get(sp), get(lo)), v128.store(get(sp), get(hi), 16)),
      ),
    ];
    // Rows i.. i+rows of C (i a multiple of ROWS: the start of a tile of A), columns j.. j+8.
    const tile = (rows: number): Code[] => [
      R(rows).map((r) => [set(acc[r]![0]!, i32x4.splat(i32.const(0))), set(acc[r]![1]!, i32x4.splat(i32.const(0)))]),
      set(ap, i32.add(get(aBatch), i32.mul(get(i), get(rowStride)))),
      ifElse(
        get(viaScratch),
        [
          set(sp, get(p.scratch)),
          forRange(
            kk,
            i32.const(0),
            get(padded),
            1,
            set(lo, v128.load(get(sp))),
            set(hi, v128.load(get(sp), 16)),
            accumulate(rows),
            inc(sp, 32),
            inc(ap, PAIR_BYTES),
          ),
        ],
        [
          set(bp, i32.add(get(bBatch), get(j))),
          forRange(kk, i32.const(0), get(pairs), 1, pairUp(loadB(i32.add(get(bp), get(p.bRs)))), accumulate(rows), inc(bp, get(bStep)), inc(ap, PAIR_BYTES)),
          when(i32.and(get(p.K), i32.const(1)), pairUp(get(b0)), accumulate(rows)),
        ],
      ),
      set(z0, v128.load(i32.add(get(p.zb), i32.mul(get(j), get(p.zbStep))))),
      set(z1, v128.load(i32.add(get(p.zb), i32.mul(i32.add(get(j), i32.const(4)), get(p.zbStep))))),
      R(rows).map((r) => {
        const out = i32.add(get(cBatch), i32.shl(i32.add(i32.mul(i32.add(get(i), i32.const(r)), get(p.N)), get(j)), i32.const(2)));
        return [
          set(s, v128.load32Splat(i32.add(get(sBatch), i32.shl(i32.add(get(i), i32.const(r)), i32.const(2))))),
          v128.store(out, i32x4.sub(get(acc[r]![0]!), i32x4.mul(get(z0), get(s)))),
          v128.store(out, i32x4.sub(get(acc[r]![1]!), i32x4.mul(get(z1), get(s))), 16),
        ];
      }),
    ];
    // One output (row i, column j) in scalar code: the columns past the last group of eight.
    const single: Code[] = [
      // Row i's lane of its tile; A[i][k] then lies at (k / 2)·PAIR_BYTES + (k % 2)·2 past it.
      set(
        aRow,
        i32.add(
          get(aBatch),
          i32.add(i32.mul(i32.sub(get(i), i32.rem_u(get(i), i32.const(ROWS))), get(rowStride)), i32.shl(i32.rem_u(get(i), i32.const(ROWS)), i32.const(2))),
        ),
      ),
      set(bp, i32.add(get(bBatch), get(j))),
      set(sum, i32.const(0)),
      forRange(
        k,
        i32.const(0),
        get(p.K),
        1,
        set(
          sum,
          i32.add(
            get(sum),
            i32.mul(
              i32.load16s(
                i32.add(
                  get(aRow),
                  i32.add(i32.mul(i32.shr_u(get(k), i32.const(1)), i32.const(PAIR_BYTES)), i32.shl(i32.and(get(k), i32.const(1)), i32.const(1))),
                ),
              ),
              loadByte(get(bp)),
            ),
          ),
        ),
        inc(bp, get(p.bRs)),
      ),
      set(
        sum,
        i32.sub(get(sum), i32.mul(i32.load(i32.add(get(p.zb), i32.mul(get(j), get(p.zbStep)))), i32.load(i32.add(get(sBatch), i32.shl(get(i), i32.const(2)))))),
      ),
      i32.store(i32.add(get(cBatch), i32.shl(i32.add(i32.mul(get(i), get(p.N)), get(j)), i32.const(2))), get(sum)),
    ];
    return [
      // Bytes per row of a tile of A (K padded to even, i16): a tile of ROWS rows spans ROWS times it.
      set(rowStride, i32.shl(i32.and(i32.add(get(p.K), i32.const(1)), i32.const(-2)), i32.const(1))),
      set(pairs, i32.shr_u(get(p.K), i32.const(1))),
      set(padded, i32.shr_u(i32.add(get(p.K), i32.const(1)), i32.const(1))),
      set(bStep, i32.shl(get(p.bRs), i32.const(1))),
      set(perBatch, i32.mul(get(p.gm), get(p.gn))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        set(batch, i32.div_u(get(ch), get(perBatch))),
        set(rem, i32.sub(get(ch), i32.mul(get(batch), get(perBatch)))),
        set(mi, i32.div_u(get(rem), get(p.gn))),
        set(r0, i32.mul(get(mi), get(p.mb))),
        set(r1, minS(i32.add(get(r0), get(p.mb)), get(p.M))),
        set(c0, i32.mul(i32.sub(get(rem), i32.mul(get(mi), get(p.gn))), get(p.nb))),
        set(c1, minS(i32.add(get(c0), get(p.nb)), get(p.N))),
        set(viaScratch, i32.gt_s(i32.sub(get(r1), get(r0)), i32.const(2 * ROWS))),
        // A batch entry's centred A spans its rows rounded up to whole tiles.
        set(
          aBatch,
          i32.add(
            get(p.a),
            i32.mul(i32.mul(get(batch), i32.mul(i32.div_u(i32.add(get(p.M), i32.const(ROWS - 1)), i32.const(ROWS)), i32.const(ROWS))), get(rowStride)),
          ),
        ),
        set(bBatch, i32.add(get(p.b), i32.load(i32.add(get(p.table), i32.shl(get(batch), i32.const(2)))))),
        set(cBatch, i32.add(get(p.c), i32.shl(i32.mul(i32.mul(get(batch), get(p.M)), get(p.N)), i32.const(2)))),
        set(sBatch, i32.add(get(p.sums), i32.shl(i32.mul(get(batch), get(p.M)), i32.const(2)))),
        columnPanels(fn, { r0, r1, c0, c1, i, j, rows: ROWS, cols: IMATMUL_COLS, panelRows: PANEL_ROWS, tile, single, group }),
      ),
    ];
  });
}
