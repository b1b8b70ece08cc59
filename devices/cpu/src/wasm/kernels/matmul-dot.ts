/**
 * matmulDot: C = A · B for a few rows of A when both operands run along K with unit stride — a
 * batch-1 or batch-2 input through an nn.Linear (x @ Wᵀ, W stored [out, in]). Every output is then
 * the dot product of two contiguous rows, so B is read once, straight from the weights, instead of
 * being packed into panels first: for one row, packing W costs as much as the product itself.
 *
 * One parallel chunk is one (batch, column block); every output is summed in the same order
 * whatever the split. Batch offsets come from the same (aOffset, bOffset) table as matmul's.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, forRange, get, i32, inc, minS, set, v128, whileLoop } from "../instructions.ts";

/** Rows of A up to which matmulDot beats packing B for the GEMM. */
export const DOT_MAX_ROWS = 4;
/** Columns of C computed together, sharing each load of A. */
const COLS = 4;

export function emitMatmulDot(mod: ModuleBuilder, options: { fma: boolean }): FunctionBuilder {
  const params = i32Params("M", "N", "K", "a", "aRs", "b", "bCs", "c", "table", "nb", "gn", "chunk0", "chunk1", "scratch");
  return defineFunction(mod, "matmulDot", { params }, (p, fn) => {
    const [ch, batch, ni, j, j1, i, k, kEnd, aRow, bBase, cRow, entry, aBase, w] = locals(fn, "i32", 14);
    const cols = locals(fn, "i32", COLS);
    const acc = locals(fn, "v128", COLS);
    const sums = locals(fn, "f32", COLS);
    const [x] = locals(fn, "f32", 1);
    const madd = (a: Code, b: Code, c: Code): Code => (options.fma ? f32x4.relaxedMadd(a, b, c) : f32x4.add(c, f32x4.mul(a, b)));
    const hsum = (v: number): Code =>
      f32.add(f32.add(f32x4.extractLane(get(v), 0), f32x4.extractLane(get(v), 1)), f32.add(f32x4.extractLane(get(v), 2), f32x4.extractLane(get(v), 3)));
    // The dot products of row aRow with `n` columns of B starting at column j, stored into row cRow of C.
    const dots = (n: number): Code[] => [
      Array.from({ length: n }, (_, t) => [
        set(cols[t]!, i32.add(get(bBase), i32.mul(i32.add(get(j), i32.const(t)), get(p.bCs)))),
        set(acc[t]!, f32x4.const(0)),
      ]),
      forRange(
        k,
        i32.const(0),
        get(kEnd),
        16,
        set(w, i32.add(get(aRow), get(k))),
        Array.from({ length: n }, (_, t) => set(acc[t]!, madd(v128.load(get(w)), v128.load(i32.add(get(cols[t]!), get(k))), get(acc[t]!)))),
      ),
      Array.from({ length: n }, (_, t) => set(sums[t]!, hsum(acc[t]!))),
      // K not a multiple of 4: the last few products one by one.
      whileLoop(
        i32.lt_s(get(k), i32.shl(get(p.K), i32.const(2))),
        set(x, f32.load(i32.add(get(aRow), get(k)))),
        Array.from({ length: n }, (_, t) => set(sums[t]!, f32.add(get(sums[t]!), f32.mul(get(x), f32.load(i32.add(get(cols[t]!), get(k))))))),
        inc(k, 4),
      ),
      Array.from({ length: n }, (_, t) => f32.store(i32.add(get(cRow), i32.shl(i32.add(get(j), i32.const(t)), i32.const(2))), get(sums[t]!))),
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
        forRange(
          i,
          i32.const(0),
          get(p.M),
          1,
          set(aRow, i32.add(get(aBase), i32.mul(get(i), get(p.aRs)))),
          set(cRow, i32.add(get(p.c), i32.shl(i32.mul(i32.add(i32.mul(get(batch), get(p.M)), get(i)), get(p.N)), i32.const(2)))),
          set(j, i32.mul(get(ni), get(p.nb))),
          whileLoop(i32.le_s(i32.add(get(j), i32.const(COLS)), get(j1)), dots(COLS), inc(j, COLS)),
          whileLoop(i32.lt_s(get(j), get(j1)), dots(1), inc(j, 1)),
        ),
      ),
    ];
  });
}
