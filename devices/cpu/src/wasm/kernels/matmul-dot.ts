/**
 * matmulDot: C = A · B for a few rows of A when both operands run along K with unit stride — a
 * batch-1 or batch-2 input through an nn.Linear (x @ Wᵀ, W stored [out, in]). Every output is then
 * the dot product of two contiguous rows, so B is read once, straight from the weights, instead of
 * being packed into panels first: for one row, packing W costs as much as the product itself.
 *
 * One parallel chunk is one (batch, column block); rows go in pairs, so each weight loaded serves
 * two rows. Every output is summed in the same order whatever the split or the pairing. Batch
 * offsets come from the same (aOffset, bOffset) table as matmul's. `bias`, when not 0, is the
 * address of N float32 values added to every row of C (a linear layer's bias: matmulEpilogue's
 * most common program, which then needs no pass of its own over C).
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, forRange, get, i32, ifElse, inc, minS, set, v128, whileLoop } from "../instructions.ts";

/** Rows of A up to which matmulDot beats packing B for the GEMM. */
export const DOT_MAX_ROWS = 4;
/** Columns of C computed together, sharing each load of A. */
const COLS = 4;
/**
 * Columns of C computed together for a row alone: four chains of dependent multiply-adds leave the
 * FMA units idle for their latency; six run ~30% faster on one row (x64 V8). Eight, or two sums
 * per column, spill accumulators to the stack in V8's register allocation and run slower.
 */
const WIDE = 6;
/** Rows of C computed together, sharing each load of B. */
const ROWS = 2;

export function emitMatmulDot(mod: ModuleBuilder, options: { fma: boolean }): FunctionBuilder {
  const params = i32Params("M", "N", "K", "a", "aRs", "b", "bCs", "c", "table", "nb", "gn", "bias", "chunk0", "chunk1", "scratch");
  return defineFunction(mod, "matmulDot", { params }, (p, fn) => {
    const [ch, batch, ni, j, j1, i, k, kEnd, bBase, entry, aBase] = locals(fn, "i32", 11);
    const cols = locals(fn, "i32", WIDE);
    // Up to two rows of A share each load of B (and each row's load is shared by COLS columns).
    const aRow = locals(fn, "i32", ROWS);
    const cRow = locals(fn, "i32", ROWS);
    const acc = Array.from({ length: ROWS }, (_, r) => locals(fn, "v128", r === 0 ? WIDE : COLS));
    const sums = Array.from({ length: ROWS }, (_, r) => locals(fn, "f32", r === 0 ? WIDE : COLS));
    const aVec = locals(fn, "v128", ROWS);
    const [bVec] = locals(fn, "v128", 1);
    const x = locals(fn, "f32", ROWS);
    const [y] = locals(fn, "f32", 1);
    const madd = (a: Code, b: Code, c: Code): Code => (options.fma ? f32x4.relaxedMadd(a, b, c) : f32x4.add(c, f32x4.mul(a, b)));
    const hsum = (v: number): Code =>
      f32.add(f32.add(f32x4.extractLane(get(v), 0), f32x4.extractLane(get(v), 1)), f32.add(f32x4.extractLane(get(v), 2), f32x4.extractLane(get(v), 3)));
    // The address of column j + t of the float32 row at `row`.
    const columnAt = (row: number, t: number): Code => i32.add(get(row), i32.shl(i32.add(get(j), i32.const(t)), i32.const(2)));
    // The dot products of `rows` rows of A (aRow[r]) with `n` columns of B starting at column j, stored into
    // rows cRow[r] of C. Every output is summed by the same operations whatever `rows` and `n` are.
    const dots = (rows: number, n: number): Code[] => {
      const R = Array.from({ length: rows }, (_, r) => r);
      const T = Array.from({ length: n }, (_, t) => t);
      return [
        T.map((t) => set(cols[t]!, i32.add(get(bBase), i32.mul(i32.add(get(j), i32.const(t)), get(p.bCs))))),
        R.map((r) => T.map((t) => set(acc[r]![t]!, f32x4.const(0)))),
        forRange(
          k,
          i32.const(0),
          get(kEnd),
          16,
          R.map((r) => set(aVec[r]!, v128.load(i32.add(get(aRow[r]!), get(k))))),
          T.map((t) => [
            set(bVec, v128.load(i32.add(get(cols[t]!), get(k)))),
            R.map((r) => set(acc[r]![t]!, madd(get(aVec[r]!), get(bVec), get(acc[r]![t]!)))),
          ]),
        ),
        R.map((r) => T.map((t) => set(sums[r]![t]!, hsum(acc[r]![t]!)))),
        // K not a multiple of 4: the last few products one by one.
        whileLoop(
          i32.lt_s(get(k), i32.shl(get(p.K), i32.const(2))),
          R.map((r) => set(x[r]!, f32.load(i32.add(get(aRow[r]!), get(k))))),
          T.map((t) => [
            set(y, f32.load(i32.add(get(cols[t]!), get(k)))),
            R.map((r) => set(sums[r]![t]!, f32.add(get(sums[r]![t]!), f32.mul(get(x[r]!), get(y))))),
          ]),
          inc(k, 4),
        ),
        // With a bias, each sum is added to its column's bias after the dot product is complete (the order of matmul then add).
        ifElse(
          i32.eqz(get(p.bias)),
          R.map((r) => T.map((t) => f32.store(columnAt(cRow[r]!, t), get(sums[r]![t]!)))),
          R.map((r) => T.map((t) => f32.store(columnAt(cRow[r]!, t), f32.add(get(sums[r]![t]!), f32.load(columnAt(p.bias, t)))))),
        ),
      ];
    };
    // Rows r of this block of `rows` rows from row i: their A and C addresses.
    const rowAddresses = (rows: number): Code[] =>
      Array.from({ length: rows }, (_, r) => [
        set(aRow[r]!, i32.add(get(aBase), i32.mul(i32.add(get(i), i32.const(r)), get(p.aRs)))),
        set(cRow[r]!, i32.add(get(p.c), i32.shl(i32.mul(i32.add(i32.add(i32.mul(get(batch), get(p.M)), get(i)), i32.const(r)), get(p.N)), i32.const(2)))),
      ]);
    const columns = (rows: number): Code[] => [
      set(j, i32.mul(get(ni), get(p.nb))),
      rows === 1 ? whileLoop(i32.le_s(i32.add(get(j), i32.const(WIDE)), get(j1)), dots(rows, WIDE), inc(j, WIDE)) : [],
      whileLoop(i32.le_s(i32.add(get(j), i32.const(COLS)), get(j1)), dots(rows, COLS), inc(j, COLS)),
      whileLoop(i32.lt_s(get(j), get(j1)), dots(rows, 1), inc(j, 1)),
    ];
    return [
      // Bytes of K covered by whole vectors.
      set(kEnd, i32.shl(i32.and(get(p.K), i32.const(-4)), i32.const(2))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        set(batch, i32.div_u(get(ch), get(p.gn))),
        set(ni, i32.sub(get(ch), i32.mul(get(batch), get(p.gn)))),
        set(j1, minS(i32.mul(i32.add(get(ni), i32.const(1)), get(p.nb)), get(p.N))),
        set(entry, i32.add(get(p.table), i32.shl(get(batch), i32.const(3)))),
        set(aBase, i32.add(get(p.a), i32.load(get(entry)))),
        set(bBase, i32.add(get(p.b), i32.load(get(entry), 4))),
        set(i, i32.const(0)),
        whileLoop(i32.le_s(i32.add(get(i), i32.const(ROWS)), get(p.M)), rowAddresses(ROWS), columns(ROWS), inc(i, ROWS)),
        whileLoop(i32.lt_s(get(i), get(p.M)), rowAddresses(1), columns(1), inc(i, 1)),
      ),
    ];
  });
}
