/**
 * reduceSum / reduceMax / reduceMin over float32. Output element o reduces the region that starts
 * at byte offset table[o] of x and spans up to four (size, byte stride) dims, innermost last; the
 * innermost run is vectorised when its stride is one element. Sums accumulate in float64, so they
 * agree with the reference's float64 sums to the final rounding; max and min propagate NaN.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, f64, f64x2, forRange, get, i32, ifElse, inc, lanes32, minS, set, v128, whileLoop } from "../instructions.ts";
import { Struct } from "../struct.ts";

export const REDUCE = new Struct(["x", "y", "table", "outputs", "perChunk", "n0", "n1", "n2", "n3", "s0", "s1", "s2", "s3"] as const);

interface Reducer {
  /** Declares the accumulators; returns code that resets them. */
  init(fn: FunctionBuilder): Code;
  vector(v: Code): Code;
  /**
   * Four vectors at once into four accumulators, where the order of combining does not change the
   * result (max, min): four dependency chains instead of one. Absent for sums, which keep k order.
   */
  vector4?(v: readonly [Code, Code, Code, Code]): Code;
  scalar(x: Code): Code;
  /** The reduced value as f32. */
  result(): Code;
}

function sumReducer(): Reducer {
  let lo = 0,
    hi = 0,
    s = 0,
    t = 0;
  return {
    init(fn) {
      [lo, hi, t] = locals(fn, "v128", 3);
      s = fn.local("f64");
      return [set(lo, f64x2.splat(f64.const(0))), set(hi, f64x2.splat(f64.const(0))), set(s, f64.const(0))];
    },
    vector: (v) => [
      set(t, v),
      set(lo, f64x2.add(get(lo), f64x2.promote_low_f32x4(get(t)))),
      set(hi, f64x2.add(get(hi), f64x2.promote_low_f32x4(v128.shuffle(get(t), get(t), lanes32(2, 3, 2, 3))))),
    ],
    scalar: (x) => set(s, f64.add(get(s), f64.promote_f32(x))),
    result: () => {
      const both = f64x2.add(get(lo), get(hi));
      return f32.demote_f64(f64.add(get(s), f64.add(f64x2.extractLane(both, 0), f64x2.extractLane(both, 1))));
    },
  };
}

function extremumReducer(max: boolean): Reducer {
  let v: number[] = [],
    s = 0;
  const start = max ? -Infinity : Infinity;
  const vop = max ? f32x4.max : f32x4.min;
  const sop = max ? f32.max : f32.min;
  return {
    init(fn) {
      v = locals(fn, "v128", 4);
      s = fn.local("f32");
      return [v.map((a) => set(a, f32x4.const(start))), set(s, f32.const(start))];
    },
    vector: (x) => set(v[0]!, vop(get(v[0]!), x)),
    vector4: (xs) => xs.map((x, n) => set(v[n]!, vop(get(v[n]!), x))),
    scalar: (x) => set(s, sop(get(s), x)),
    result: () => {
      // The four accumulators folded into the first, then its lanes and the scalar tail.
      const all = vop(vop(get(v[0]!), get(v[1]!)), vop(get(v[2]!), get(v[3]!)));
      return [
        set(v[0]!, all),
        sop(
          get(s),
          sop(sop(f32x4.extractLane(get(v[0]!), 0), f32x4.extractLane(get(v[0]!), 1)), sop(f32x4.extractLane(get(v[0]!), 2), f32x4.extractLane(get(v[0]!), 3))),
        ),
      ];
    },
  };
}

export const REDUCERS: Record<string, () => Reducer> = {
  reduceSum: sumReducer,
  reduceMax: () => extremumReducer(true),
  reduceMin: () => extremumReducer(false),
};

export function emitReduce(mod: ModuleBuilder): void {
  for (const [op, make] of Object.entries(REDUCERS)) {
    defineFunction(mod, op, { params: i32Params("geo", "chunk0", "chunk1", "scratch") }, (p, fn) => {
      const { fields: g, code } = REDUCE.load(fn, p.geo);
      const r = make();
      const [o, last, i0, i1, i2, p0, p1, p2, q, end] = locals(fn, "i32", 10);
      return [
        code,
        set(o, i32.mul(get(p.chunk0), get(g.perChunk))),
        set(last, i32.mul(get(p.chunk1), get(g.perChunk))),
        set(last, minS(get(last), get(g.outputs))),
        whileLoop(
          i32.lt_s(get(o), get(last)),
          r.init(fn),
          set(p0, i32.add(get(g.x), i32.load(i32.add(get(g.table), i32.shl(get(o), i32.const(2)))))),
          forRange(
            i0,
            i32.const(0),
            get(g.n0),
            1,
            set(p1, get(p0)),
            forRange(
              i1,
              i32.const(0),
              get(g.n1),
              1,
              set(p2, get(p1)),
              forRange(
                i2,
                i32.const(0),
                get(g.n2),
                1,
                set(q, get(p2)),
                ifElse(
                  i32.eq(get(g.s3), i32.const(4)),
                  [
                    set(end, i32.add(get(q), i32.shl(get(g.n3), i32.const(2)))),
                    r.vector4
                      ? whileLoop(
                          i32.le_u(i32.add(get(q), i32.const(64)), get(end)),
                          r.vector4([v128.load(get(q)), v128.load(get(q), 16), v128.load(get(q), 32), v128.load(get(q), 48)]),
                          inc(q, 64),
                        )
                      : [],
                    whileLoop(i32.le_u(i32.add(get(q), i32.const(16)), get(end)), r.vector(v128.load(get(q))), inc(q, 16)),
                    whileLoop(i32.lt_u(get(q), get(end)), r.scalar(f32.load(get(q))), inc(q, 4)),
                  ],
                  [forRange(end, i32.const(0), get(g.n3), 1, r.scalar(f32.load(get(q))), inc(q, get(g.s3)))],
                ),
                inc(p2, get(g.s2)),
              ),
              inc(p1, get(g.s1)),
            ),
            inc(p0, get(g.s0)),
          ),
          f32.store(i32.add(get(g.y), i32.shl(get(o), i32.const(2))), r.result()),
          inc(o, 1),
        ),
      ];
    });
  }
}
