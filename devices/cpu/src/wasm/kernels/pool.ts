/**
 * 2-D pooling over N·C planes (NCHW, float32), one chunk = `perChunk` planes. Max pooling follows
 * the reference exactly: windows are scanned in row-major order, a later tap replaces the running
 * maximum only when strictly greater, the first NaN wins, padding never wins, and a window wholly
 * in the padding gives -Inf. The gradient goes to that same first maximum. Average pooling sums in
 * float64 and divides by the reference's divisor (countIncludePad counts taps inside the padded
 * input), so it matches the reference to the last bit.
 *
 * The 2x2 stride-2 unpadded max pool — the CNN case — has a vector path: four outputs per step
 * from two rows of eight inputs, with the same tie and NaN rules.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, choose, f32, f32x4, f64, forRange, get, i32, ifElse, inc, lanes32, minS, set, v128, when, whileLoop } from "../instructions.ts";
import { Struct } from "../struct.ts";
import type { MemoryFunctions } from "./memory.ts";

export const POOL = new Struct([
  "x",
  "y",
  "gradOut",
  "planes",
  "H",
  "W",
  "kh",
  "kw",
  "sh",
  "sw",
  "dh",
  "dw",
  "pt",
  "pl",
  "pb",
  "pr",
  "OH",
  "OW",
  "includePad",
  "perChunk",
] as const);

const CHUNK_PARAMS = i32Params("geo", "chunk0", "chunk1", "scratch");

/** Plane range of this call: [first, last) clipped to the plane count. */
function planeRange(g: Readonly<Record<string, number>>, p: Record<string, number>, plane: number, last: number): Code {
  return [
    set(plane, i32.mul(get(p.chunk0!), get(g.perChunk!))),
    set(last, i32.mul(get(p.chunk1!), get(g.perChunk!))),
    set(last, minS(get(last), get(g.planes!))),
  ];
}

/**
 * Scans the window of output (oh, ow) in plane `xs`, leaving in `best` the flat index of its first
 * maximum (-1 when every tap is padding) and in `m` its value.
 */
function argMax(fn: FunctionBuilder, g: Readonly<Record<string, number>>, xs: number, oh: number, ow: number, best: number, m: number): Code {
  const [ki, kj, ih, iw, idx] = locals(fn, "i32", 5);
  const v = fn.local("f32");
  return [
    set(best, i32.const(-1)),
    set(m, f32.const(-Infinity)),
    forRange(
      ki,
      i32.const(0),
      get(g.kh!),
      1,
      set(ih, i32.add(i32.sub(i32.mul(get(oh), get(g.sh!)), get(g.pt!)), i32.mul(get(ki), get(g.dh!)))),
      when(
        i32.lt_u(get(ih), get(g.H!)),
        forRange(
          kj,
          i32.const(0),
          get(g.kw!),
          1,
          set(iw, i32.add(i32.sub(i32.mul(get(ow), get(g.sw!)), get(g.pl!)), i32.mul(get(kj), get(g.dw!)))),
          when(
            i32.lt_u(get(iw), get(g.W!)),
            set(idx, i32.add(i32.mul(get(ih), get(g.W!)), get(iw))),
            set(v, f32.load(i32.add(get(xs), i32.shl(get(idx), i32.const(2))))),
            // Replace when nothing yet, or the maximum so far is not NaN and v is greater or NaN.
            when(
              i32.or(i32.lt_s(get(best), i32.const(0)), i32.and(f32.eq(get(m), get(m)), i32.or(f32.gt(get(v), get(m)), f32.ne(get(v), get(v))))),
              set(m, get(v)),
              set(best, get(idx)),
            ),
          ),
        ),
      ),
    ),
  ];
}

/** kernel 2x2, stride 2, no padding, no dilation: the layout the vector paths handle. */
function isTwoByTwo(g: Readonly<Record<string, number>>): Code {
  const eq = (f: string, v: number) => i32.eq(get(g[f]!), i32.const(v));
  return i32.and(
    i32.and(i32.and(eq("kh", 2), eq("kw", 2)), i32.and(eq("sh", 2), eq("sw", 2))),
    i32.and(i32.eqz(i32.or(i32.or(get(g.pt!), get(g.pl!)), i32.or(get(g.pb!), get(g.pr!)))), i32.and(eq("dh", 1), eq("dw", 1))),
  );
}

/** Lanes where tap `v` replaces the running maximum `m`: m is not NaN, and v is greater or NaN. */
const replaces = (m: Code, v: Code): Code => v128.and(f32x4.eq(m, m), v128.or(f32x4.gt(v, m), f32x4.ne(v, v)));

/** The four taps of 2x2 windows: even and odd columns of two input rows, four windows per vector. */
function loadTaps(row0: number, row1: number, a: number, b: number, taps: readonly number[]): Code {
  const evens = lanes32(0, 2, 4, 6);
  const odds = lanes32(1, 3, 5, 7);
  return [
    set(a, v128.load(get(row0))),
    set(b, v128.load(get(row0), 16)),
    set(taps[0]!, v128.shuffle(get(a), get(b), evens)),
    set(taps[1]!, v128.shuffle(get(a), get(b), odds)),
    set(a, v128.load(get(row1))),
    set(b, v128.load(get(row1), 16)),
    set(taps[2]!, v128.shuffle(get(a), get(b), evens)),
    set(taps[3]!, v128.shuffle(get(a), get(b), odds)),
  ];
}

/** argMax for a 2x2 stride-2 unpadded window: four fixed taps, the same replacement rule, no bounds checks. */
function argMax2x2(fn: FunctionBuilder, g: Readonly<Record<string, number>>, xs: number, oh: number, ow: number, best: number, m: number): Code {
  const [idx] = locals(fn, "i32", 1);
  const v = fn.local("f32");
  const tap = (delta: Code): Code => [
    set(v, f32.load(i32.add(get(xs), i32.shl(i32.add(get(idx), delta), i32.const(2))))),
    when(i32.and(f32.eq(get(m), get(m)), i32.or(f32.gt(get(v), get(m)), f32.ne(get(v), get(v)))), set(m, get(v)), set(best, i32.add(get(idx), delta))),
  ];
  return [
    set(idx, i32.shl(i32.add(i32.mul(get(oh), get(g.W!)), get(ow)), i32.const(1))),
    set(best, get(idx)),
    set(m, f32.load(i32.add(get(xs), i32.shl(get(idx), i32.const(2))))),
    tap(i32.const(1)),
    tap(get(g.W!)),
    tap(i32.add(get(g.W!), i32.const(1))),
  ];
}

/** max(a, b) keeping a on ties (so the earlier tap wins, -0 before +0) and taking the first NaN. */
const firstMax = (a: Code, b: number): Code => v128.bitselect(get(b), f32x4.pmax(a, get(b)), f32x4.ne(get(b), get(b)));

/** Taps of one window along one axis inside [lo, hi): start + i·d for i in [0, k). */
function tapsWithin(fn: FunctionBuilder, start: Code, k: number, d: number, lo: Code, hi: Code): Code {
  const [i, pos, count] = locals(fn, "i32", 3);
  return [
    set(count, i32.const(0)),
    set(pos, start),
    forRange(i, i32.const(0), get(k), 1, when(i32.and(i32.ge_s(get(pos), lo), i32.lt_s(get(pos), hi)), inc(count, 1)), inc(pos, get(d))),
    get(count),
  ];
}

export function emitPool(mod: ModuleBuilder, m: MemoryFunctions): void {
  defineFunction(mod, "maxPool2d", { params: CHUNK_PARAMS }, (p, fn) => {
    const { fields: g, code } = POOL.load(fn, p.geo);
    const [plane, last, xs, ys, oh, ow, best, row0, row1, fast] = locals(fn, "i32", 10);
    const mx = fn.local("f32");
    const [e0, o0, e1, o1, a, b] = locals(fn, "v128", 6);
    return [
      code,
      planeRange(g, p, plane, last),
      set(fast, isTwoByTwo(g)),
      whileLoop(
        i32.lt_s(get(plane), get(last)),
        set(xs, i32.add(get(g.x), i32.shl(i32.mul(get(plane), i32.mul(get(g.H), get(g.W))), i32.const(2)))),
        set(ys, i32.add(get(g.y), i32.shl(i32.mul(get(plane), i32.mul(get(g.OH), get(g.OW))), i32.const(2)))),
        forRange(
          oh,
          i32.const(0),
          get(g.OH),
          1,
          set(ow, i32.const(0)),
          when(
            get(fast),
            set(row0, i32.add(get(xs), i32.shl(i32.mul(i32.shl(get(oh), i32.const(1)), get(g.W)), i32.const(2)))),
            set(row1, i32.add(get(row0), i32.shl(get(g.W), i32.const(2)))),
            // Four outputs need input columns 2·ow .. 2·ow + 7.
            whileLoop(
              i32.le_s(i32.add(get(ow), i32.const(4)), get(g.OW)),
              loadTaps(row0, row1, a, b, [e0, o0, e1, o1]),
              v128.store(i32.add(get(ys), i32.shl(get(ow), i32.const(2))), firstMax(firstMax(firstMax(get(e0), o0), e1), o1)),
              inc(row0, 32),
              inc(row1, 32),
              inc(ow, 4),
            ),
          ),
          forRange(
            ow,
            get(ow),
            get(g.OW),
            1,
            ifElse(get(fast), [argMax2x2(fn, g, xs, oh, ow, best, mx)], [argMax(fn, g, xs, oh, ow, best, mx)]),
            f32.store(i32.add(get(ys), i32.shl(get(ow), i32.const(2))), get(mx)),
          ),
          inc(ys, i32.shl(get(g.OW), i32.const(2))),
        ),
        inc(plane, 1),
      ),
    ];
  });

  defineFunction(mod, "maxPool2dGrad", { params: CHUNK_PARAMS }, (p, fn) => {
    const { fields: g, code } = POOL.load(fn, p.geo);
    const [plane, last, xs, gs, dx, oh, ow, best, addr, fast, row0, row1, drow] = locals(fn, "i32", 13);
    const mx = fn.local("f32");
    const [t0, t1, t2, t3, a, b, m1, c1, c2, c3, gv, w0, w1, w2, w3] = locals(fn, "v128", 15);
    const interleave = (x: number, y: number, half: number): Code => v128.shuffle(get(x), get(y), half === 0 ? lanes32(0, 4, 1, 5) : lanes32(2, 6, 3, 7));
    // Four 2x2 windows at once: find each window's winning tap as masks, route gradOut to it, zeros elsewhere.
    const vectorRow: Code = [
      set(row0, i32.add(get(xs), i32.shl(i32.mul(i32.shl(get(oh), i32.const(1)), get(g.W)), i32.const(2)))),
      set(row1, i32.add(get(row0), i32.shl(get(g.W), i32.const(2)))),
      set(drow, i32.add(get(dx), i32.sub(get(row0), get(xs)))),
      whileLoop(
        i32.le_s(i32.add(get(ow), i32.const(4)), get(g.OW)),
        loadTaps(row0, row1, a, b, [t0, t1, t2, t3]),
        set(c1, replaces(get(t0), get(t1))),
        set(m1, v128.bitselect(get(t1), get(t0), get(c1))),
        set(c2, replaces(get(m1), get(t2))),
        set(m1, v128.bitselect(get(t2), get(m1), get(c2))),
        set(c3, replaces(get(m1), get(t3))),
        set(gv, v128.load(i32.add(get(gs), i32.shl(get(ow), i32.const(2))))),
        set(w3, v128.and(get(gv), get(c3))),
        set(w2, v128.and(get(gv), v128.andnot(get(c2), get(c3)))),
        set(w1, v128.and(get(gv), v128.andnot(v128.andnot(get(c1), get(c2)), get(c3)))),
        set(w0, v128.andnot(get(gv), v128.or(get(c1), v128.or(get(c2), get(c3))))),
        v128.store(get(drow), interleave(w0, w1, 0)),
        v128.store(get(drow), interleave(w0, w1, 1), 16),
        v128.store(i32.add(get(drow), i32.shl(get(g.W), i32.const(2))), interleave(w2, w3, 0)),
        v128.store(i32.add(get(drow), i32.shl(get(g.W), i32.const(2))), interleave(w2, w3, 1), 16),
        inc(row0, 32),
        inc(row1, 32),
        inc(drow, 32),
        inc(ow, 4),
      ),
    ];
    return [
      code,
      planeRange(g, p, plane, last),
      set(fast, isTwoByTwo(g)),
      whileLoop(
        i32.lt_s(get(plane), get(last)),
        set(xs, i32.add(get(g.x), i32.shl(i32.mul(get(plane), i32.mul(get(g.H), get(g.W))), i32.const(2)))),
        set(dx, i32.add(get(g.y), i32.shl(i32.mul(get(plane), i32.mul(get(g.H), get(g.W))), i32.const(2)))),
        set(gs, i32.add(get(g.gradOut), i32.shl(i32.mul(get(plane), i32.mul(get(g.OH), get(g.OW))), i32.const(2)))),
        ifElse(
          get(fast),
          [
            // Disjoint windows: each dx element gets at most one gradient, so float32 is exact.
            call(m.zero, get(dx), i32.mul(get(g.H), get(g.W))),
            forRange(
              oh,
              i32.const(0),
              get(g.OH),
              1,
              set(ow, i32.const(0)),
              vectorRow,
              forRange(
                ow,
                get(ow),
                get(g.OW),
                1,
                argMax2x2(fn, g, xs, oh, ow, best, mx),
                set(addr, i32.add(get(dx), i32.shl(get(best), i32.const(2)))),
                f32.store(get(addr), f32.load(i32.add(get(gs), i32.shl(get(ow), i32.const(2))))),
              ),
              inc(gs, i32.shl(get(g.OW), i32.const(2))),
            ),
          ],
          [
            // Windows may overlap: accumulate in float64 in the scratch plane and round once, as the reference does.
            zeroF64(fn, get(p.scratch), i32.mul(get(g.H), get(g.W))),
            forRange(
              oh,
              i32.const(0),
              get(g.OH),
              1,
              forRange(
                ow,
                i32.const(0),
                get(g.OW),
                1,
                argMax(fn, g, xs, oh, ow, best, mx),
                when(
                  i32.ge_s(get(best), i32.const(0)),
                  set(addr, i32.add(get(p.scratch), i32.shl(get(best), i32.const(3)))),
                  f64.store(get(addr), f64.add(f64.load(get(addr)), f64.promote_f32(f32.load(i32.add(get(gs), i32.shl(get(ow), i32.const(2))))))),
                ),
              ),
              inc(gs, i32.shl(get(g.OW), i32.const(2))),
            ),
            roundF64Plane(fn, get(p.scratch), get(dx), i32.mul(get(g.H), get(g.W))),
          ],
        ),
        inc(plane, 1),
      ),
    ];
  });

  /** Sum of the window's taps inside the input (float64) and its divisor; calls `body(sum, count)` per output. */
  const avgWindows = (
    fn: FunctionBuilder,
    g: Readonly<Record<string, number>>,
    xs: number | undefined,
    body: (oh: number, ow: number, count: number, sum: number) => Code,
  ): Code => {
    const [oh, ow, ki, kj, ih, iw, h0, w0, count, hLo, hHi, wLo, wHi] = locals(fn, "i32", 13);
    const sum = fn.local("f64");
    return forRange(
      oh,
      i32.const(0),
      get(g.OH!),
      1,
      forRange(
        ow,
        i32.const(0),
        get(g.OW!),
        1,
        set(h0, i32.sub(i32.mul(get(oh), get(g.sh!)), get(g.pt!))),
        set(w0, i32.sub(i32.mul(get(ow), get(g.sw!)), get(g.pl!))),
        ifElse(
          get(g.includePad!),
          [
            set(hLo, i32.sub(i32.const(0), get(g.pt!))),
            set(hHi, i32.add(get(g.H!), get(g.pb!))),
            set(wLo, i32.sub(i32.const(0), get(g.pl!))),
            set(wHi, i32.add(get(g.W!), get(g.pr!))),
          ],
          [set(hLo, i32.const(0)), set(hHi, get(g.H!)), set(wLo, i32.const(0)), set(wHi, get(g.W!))],
        ),
        set(count, i32.mul(tapsWithin(fn, get(h0), g.kh!, g.dh!, get(hLo), get(hHi)), tapsWithin(fn, get(w0), g.kw!, g.dw!, get(wLo), get(wHi)))),
        set(sum, f64.const(0)),
        xs === undefined
          ? []
          : forRange(
              ki,
              i32.const(0),
              get(g.kh!),
              1,
              set(ih, i32.add(get(h0), i32.mul(get(ki), get(g.dh!)))),
              when(
                i32.lt_u(get(ih), get(g.H!)),
                forRange(
                  kj,
                  i32.const(0),
                  get(g.kw!),
                  1,
                  set(iw, i32.add(get(w0), i32.mul(get(kj), get(g.dw!)))),
                  when(
                    i32.lt_u(get(iw), get(g.W!)),
                    set(
                      sum,
                      f64.add(get(sum), f64.promote_f32(f32.load(i32.add(get(xs), i32.shl(i32.add(i32.mul(get(ih), get(g.W!)), get(iw)), i32.const(2)))))),
                    ),
                  ),
                ),
              ),
            ),
        body(oh, ow, count, sum),
      ),
    );
  };

  defineFunction(mod, "avgPool2d", { params: CHUNK_PARAMS }, (p, fn) => {
    const { fields: g, code } = POOL.load(fn, p.geo);
    const [plane, last, xs, ys] = locals(fn, "i32", 4);
    return [
      code,
      planeRange(g, p, plane, last),
      whileLoop(
        i32.lt_s(get(plane), get(last)),
        set(xs, i32.add(get(g.x), i32.shl(i32.mul(get(plane), i32.mul(get(g.H), get(g.W))), i32.const(2)))),
        set(ys, i32.add(get(g.y), i32.shl(i32.mul(get(plane), i32.mul(get(g.OH), get(g.OW))), i32.const(2)))),
        avgWindows(fn, g, xs, (_oh, _ow, count, sum) => [
          f32.store(get(ys), choose("f32", i32.gt_s(get(count), i32.const(0)), f32.demote_f64(f64.div(get(sum), f64.convert_i32_s(get(count)))), f32.const(0))),
          inc(ys, 4),
        ]),
        inc(plane, 1),
      ),
    ];
  });

  defineFunction(mod, "avgPool2dGrad", { params: CHUNK_PARAMS }, (p, fn) => {
    const { fields: g, code } = POOL.load(fn, p.geo);
    const [plane, last, dxs, gs, ki, kj, ih, iw, addr, h0, w0] = locals(fn, "i32", 11);
    const share = fn.local("f64");
    return [
      code,
      planeRange(g, p, plane, last),
      whileLoop(
        i32.lt_s(get(plane), get(last)),
        set(dxs, i32.add(get(g.y), i32.shl(i32.mul(get(plane), i32.mul(get(g.H), get(g.W))), i32.const(2)))),
        set(gs, i32.add(get(g.gradOut), i32.shl(i32.mul(get(plane), i32.mul(get(g.OH), get(g.OW))), i32.const(2)))),
        // dx accumulates in float64 in the scratch plane, then rounds once, as the reference does.
        zeroF64(fn, get(p.scratch), i32.mul(get(g.H), get(g.W))),
        avgWindows(fn, g, undefined, (oh, ow, count) => [
          when(
            i32.gt_s(get(count), i32.const(0)),
            set(share, f64.div(f64.promote_f32(f32.load(get(gs))), f64.convert_i32_s(get(count)))),
            set(h0, i32.sub(i32.mul(get(oh), get(g.sh)), get(g.pt))),
            set(w0, i32.sub(i32.mul(get(ow), get(g.sw)), get(g.pl))),
            forRange(
              ki,
              i32.const(0),
              get(g.kh),
              1,
              set(ih, i32.add(get(h0), i32.mul(get(ki), get(g.dh)))),
              when(
                i32.lt_u(get(ih), get(g.H)),
                forRange(
                  kj,
                  i32.const(0),
                  get(g.kw),
                  1,
                  set(iw, i32.add(get(w0), i32.mul(get(kj), get(g.dw)))),
                  when(
                    i32.lt_u(get(iw), get(g.W)),
                    set(addr, i32.add(get(p.scratch), i32.shl(i32.add(i32.mul(get(ih), get(g.W)), get(iw)), i32.const(3)))),
                    f64.store(get(addr), f64.add(f64.load(get(addr)), get(share))),
                  ),
                ),
              ),
            ),
          ),
          inc(gs, 4),
        ]),
        roundF64Plane(fn, get(p.scratch), get(dxs), i32.mul(get(g.H), get(g.W))),
        inc(plane, 1),
      ),
    ];
  });
}

/** dst[i] = float32(src[i]) for n float64 values. */
function roundF64Plane(fn: FunctionBuilder, src: Code, dst: Code, n: Code): Code {
  const [i, s, d] = locals(fn, "i32", 3);
  return [set(s, src), set(d, dst), forRange(i, i32.const(0), n, 1, f32.store(get(d), f32.demote_f64(f64.load(get(s)))), inc(s, 8), inc(d, 4))];
}

function zeroF64(fn: FunctionBuilder, dst: Code, n: Code): Code {
  const [i, ptr] = locals(fn, "i32", 2);
  return [set(ptr, dst), forRange(i, i32.const(0), n, 1, f64.store(get(ptr), f64.const(0)), inc(ptr, 8))];
}
