/**
 * The elementwise family on float32. Every op here is one correctly rounded IEEE operation (or an
 * exact one: max, min, abs, neg, floor, ...), so results equal the reference kernels' (which
 * compute in float64 and round once) bit for bit.
 *
 * Broadcasting comes in as rows: the output is `total` elements in rows of `rowLen`; row r reads a
 * and b from the byte offsets in `table[2r]`, `table[2r + 1]`, each advancing by one element per
 * output element (inner stride 1) or not at all (0, a broadcast). One chunk is `rowsPerChunk` rows.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, get, i16x8, i32, i32x4, i8x16, ifElse, inc, minS, select, set, v128, whileLoop } from "../instructions.ts";

type Vec = (a: Code, b: Code) => Code;

/** Binary ops: vector and scalar forms of the same IEEE operation. */
export const BINARY_OPS: Record<string, { v: Vec; s: Vec }> = {
  add: { v: f32x4.add, s: f32.add },
  sub: { v: f32x4.sub, s: f32.sub },
  mul: { v: f32x4.mul, s: f32.mul },
  div: { v: f32x4.div, s: f32.div },
  maximum: { v: f32x4.max, s: f32.max },
  minimum: { v: f32x4.min, s: f32.min },
};

/** Comparisons: vector masks, and scalar i32 results; NaN compares false except in notEqual. */
export const COMPARE_OPS: Record<string, { v: Vec; s: Vec }> = {
  equal: { v: f32x4.eq, s: f32.eq },
  notEqual: { v: f32x4.ne, s: f32.ne },
  less: { v: f32x4.lt, s: f32.lt },
  lessEqual: { v: f32x4.le, s: f32.le },
  greater: { v: f32x4.gt, s: f32.gt },
  greaterEqual: { v: f32x4.ge, s: f32.ge },
};

const ZERO = f32x4.const(0);
const ONE_BITS = 0x3f800000;

/** Unary ops on float32: vector and scalar forms. relu keeps NaN and maps -0 to +0, as the reference does. */
export const UNARY_OPS: Record<string, { v: (x: Code, t: number) => Code; s: (x: Code, t: number) => Code }> = {
  neg: { v: (x) => f32x4.neg(x), s: (x) => f32.neg(x) },
  abs: { v: (x) => f32x4.abs(x), s: (x) => f32.abs(x) },
  sqrt: { v: (x) => f32x4.sqrt(x), s: (x) => f32.sqrt(x) },
  reciprocal: { v: (x) => f32x4.div(f32x4.const(1), x), s: (x) => f32.div(f32.const(1), x) },
  floor: { v: (x) => f32x4.floor(x), s: (x) => f32.floor(x) },
  ceil: { v: (x) => f32x4.ceil(x), s: (x) => f32.ceil(x) },
  round: { v: (x) => f32x4.nearest(x), s: (x) => f32.nearest(x) },
  relu: {
    // x where x > 0 or x is NaN, else +0: one mask, one and.
    v: (x, t) => [set(t, x), v128.and(get(t), v128.or(f32x4.gt(get(t), ZERO), f32x4.ne(get(t), get(t))))],
    s: (x, t) => [set(t, x), select(get(t), f32.const(0), i32.or(f32.gt(get(t), f32.const(0)), f32.ne(get(t), get(t))))],
  },
};

/** Shared row walk: per row, pointers to a, b and out plus the row's length. */
function rowLoop(
  fn: FunctionBuilder,
  p: Record<string, number>,
  outElementBytes: number,
  body: (a: number, b: number, out: number, end: number) => Code,
): Code {
  const [row, last, a, b, out, n, end] = locals(fn, "i32", 7);
  return [
    set(row, i32.mul(get(p.chunk0!), get(p.rowsPerChunk!))),
    set(last, i32.mul(get(p.chunk1!), get(p.rowsPerChunk!))),
    set(last, minS(get(last), get(p.rows!))),
    whileLoop(
      i32.lt_s(get(row), get(last)),
      set(a, i32.add(get(p.a!), i32.load(i32.add(get(p.table!), i32.shl(get(row), i32.const(3)))))),
      set(b, i32.add(get(p.b!), i32.load(i32.add(get(p.table!), i32.shl(get(row), i32.const(3))), 4))),
      set(out, i32.add(get(p.out!), i32.mul(i32.mul(get(row), get(p.rowLen!)), i32.const(outElementBytes)))),
      set(n, i32.sub(get(p.total!), i32.mul(get(row), get(p.rowLen!)))),
      set(n, minS(get(n), get(p.rowLen!))),
      set(end, i32.add(get(out), i32.mul(get(n), i32.const(outElementBytes)))),
      body(a, b, out, end),
      inc(row, 1),
    ),
  ];
}

const ROW_PARAMS = i32Params("a", "b", "out", "total", "rowLen", "rows", "aInner", "bInner", "table", "rowsPerChunk", "chunk0", "chunk1", "scratch");

/**
 * The four stride patterns of a row, each a vector loop of 4 outputs per step and a scalar tail:
 * `vec(aVec, bVec)` / `sca(aScalar, bScalar)` compute; `store4`/`store1` write at `out`.
 */
function patterns(
  p: Record<string, number>,
  a: number,
  b: number,
  out: number,
  end: number,
  outStep: number,
  vec: Vec,
  sca: Vec,
  store4: (value: Code) => Code,
  store1: (value: Code) => Code,
): Code {
  const loop = (va: Code, vb: Code, sa: Code, sb: Code, stepA: number, stepB: number): Code => [
    whileLoop(
      i32.le_u(i32.add(get(out), i32.const(4 * outStep)), get(end)),
      store4(vec(va, vb)),
      inc(out, 4 * outStep),
      stepA ? inc(a, 16) : [],
      stepB ? inc(b, 16) : [],
    ),
    whileLoop(i32.lt_u(get(out), get(end)), store1(sca(sa, sb)), inc(out, outStep), stepA ? inc(a, 4) : [], stepB ? inc(b, 4) : []),
  ];
  const va = v128.load(get(a));
  const vb = v128.load(get(b));
  const sa = f32.load(get(a));
  const sb = f32.load(get(b));
  const ba = v128.load32Splat(get(a));
  const bb = v128.load32Splat(get(b));
  return ifElse(
    get(p.aInner!),
    [ifElse(get(p.bInner!), [loop(va, vb, sa, sb, 1, 1)], [loop(va, bb, sa, sb, 1, 0)])],
    [ifElse(get(p.bInner!), [loop(ba, vb, sa, sb, 0, 1)], [loop(ba, bb, sa, sb, 0, 0)])],
  );
}

/** A comparison mask (all-ones lanes) as four 0/1 bytes. */
export function maskToBytes(mask: Code): Code {
  const ones = v128.and(mask, i32x4.splat(i32.const(1)));
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(ones, ones), i16x8.narrow_i32x4_u(ones, ones));
}

export function emitElementwise(mod: ModuleBuilder): void {
  for (const [name, op] of Object.entries(BINARY_OPS)) {
    defineFunction(mod, `binary_${name}`, { params: ROW_PARAMS }, (p, fn) =>
      rowLoop(fn, p, 4, (a, b, out, end) =>
        patterns(
          p,
          a,
          b,
          out,
          end,
          4,
          op.v,
          op.s,
          (v) => v128.store(get(out), v),
          (v) => f32.store(get(out), v),
        ),
      ),
    );
  }
  for (const [name, op] of Object.entries(COMPARE_OPS)) {
    defineFunction(mod, `compare_${name}`, { params: ROW_PARAMS }, (p, fn) =>
      rowLoop(fn, p, 1, (a, b, out, end) =>
        patterns(
          p,
          a,
          b,
          out,
          end,
          1,
          op.v,
          op.s,
          (v) => v128.store32Lane(get(out), maskToBytes(v), 0),
          (v) => i32.store8(get(out), v),
        ),
      ),
    );
  }
  for (const [name, op] of Object.entries(UNARY_OPS)) {
    defineFunction(mod, `unary_${name}`, { params: i32Params("x", "out", "n", "perChunk", "chunk0", "chunk1", "scratch") }, (p, fn) => {
      const [end, t] = [fn.local("i32"), fn.local("v128")];
      const s = fn.local("f32");
      return chunkRange(
        p,
        end,
        4,
        [
          whileLoop(i32.le_u(i32.add(get(p.out), i32.const(16)), get(end)), v128.store(get(p.out), op.v(v128.load(get(p.x)), t)), inc(p.out, 16), inc(p.x, 16)),
          whileLoop(i32.lt_u(get(p.out), get(end)), f32.store(get(p.out), op.s(f32.load(get(p.x)), s)), inc(p.out, 4), inc(p.x, 4)),
        ],
        [
          [p.x, 4],
          [p.out, 4],
        ],
      );
    });
  }
  // Casts between bool (0/1 bytes, any nonzero read as true), float32 and int32.
  defineFunction(mod, "cast_bool_float32", { params: i32Params("x", "out", "n", "perChunk", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    const widen = (bytes4: Code) => i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes4));
    return chunkRange(
      p,
      end,
      4,
      [
        whileLoop(
          i32.le_u(i32.add(get(p.out), i32.const(16)), get(end)),
          v128.store(get(p.out), v128.and(i32x4.ne(widen(v128.load32Zero(get(p.x))), i32x4.splat(i32.const(0))), i32x4.splat(i32.const(ONE_BITS)))),
          inc(p.out, 16),
          inc(p.x, 4),
        ),
        whileLoop(i32.lt_u(get(p.out), get(end)), f32.store(get(p.out), select(f32.const(1), f32.const(0), i32.load8u(get(p.x)))), inc(p.out, 4), inc(p.x, 1)),
      ],
      [
        [p.x, 1],
        [p.out, 4],
      ],
    );
  });
  defineFunction(mod, "cast_float32_bool", { params: i32Params("x", "out", "n", "perChunk", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    return chunkRange(
      p,
      end,
      1,
      [
        // x != 0, so NaN is true.
        whileLoop(
          i32.le_u(i32.add(get(p.out), i32.const(4)), get(end)),
          v128.store32Lane(get(p.out), maskToBytes(f32x4.ne(v128.load(get(p.x)), ZERO)), 0),
          inc(p.out, 4),
          inc(p.x, 16),
        ),
        whileLoop(i32.lt_u(get(p.out), get(end)), i32.store8(get(p.out), f32.ne(f32.load(get(p.x)), f32.const(0))), inc(p.out, 1), inc(p.x, 4)),
      ],
      [
        [p.x, 4],
        [p.out, 1],
      ],
    );
  });
  // float16 bits to float32, four at a time (n a multiple of 4): the magnitude's bits moved up to a
  // float32's exponent and mantissa, scaled by 2^112 to move the bias from 15 to 127 (exact, and it
  // normalises subnormal halves); Inf and NaN keep an all-ones exponent; the sign moves up 16 bits.
  defineFunction(mod, "cast_float16_float32", { params: i32Params("x", "out", "n", "perChunk", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    const [h, bits] = [fn.local("v128"), fn.local("v128")];
    const splat = (v: number) => i32x4.splat(i32.const(v));
    return chunkRange(
      p,
      end,
      4,
      [
        whileLoop(
          i32.lt_u(get(p.out), get(end)),
          set(h, i32x4.extend_low_i16x8_u(v128.load64Zero(get(p.x)))),
          set(bits, i32x4.shl(v128.and(get(h), splat(0x7fff)), i32.const(13))),
          v128.store(
            get(p.out),
            v128.or(
              v128.bitselect(
                v128.or(get(bits), splat(0x7f800000)),
                f32x4.mul(get(bits), f32x4.splat(f32.const(2 ** 112))),
                i32x4.gt_s(v128.and(get(h), splat(0x7fff)), splat(0x7bff)),
              ),
              i32x4.shl(v128.and(get(h), splat(0x8000)), i32.const(16)),
            ),
          ),
          inc(p.out, 16),
          inc(p.x, 8),
        ),
      ],
      [
        [p.x, 2],
        [p.out, 4],
      ],
    );
  });
  // float32 to float16 bits, round to nearest even, four at a time (n a multiple of 4); the same
  // bits as the HAL's float32ToFloat16Bits. A normal half: rebias the exponent, add just under
  // half an ulp plus the kept lsb, shift. A subnormal or zero half: add 0.5, whose float32 ulp is
  // float16's subnormal step 2^-24, so the float add does the rounding; the mantissa is the half.
  // Past 65520 the result is Inf, and NaN is the quiet 0x7e00, each with the sign.
  defineFunction(mod, "cast_float32_float16", { params: i32Params("x", "out", "n", "perChunk", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    const [x, a, r] = [fn.local("v128"), fn.local("v128"), fn.local("v128")];
    const splat = (v: number) => i32x4.splat(i32.const(v));
    const normal = i32x4.shr_u(
      i32x4.add(i32x4.sub(get(a), splat(112 << 23)), i32x4.add(splat(0xfff), v128.and(i32x4.shr_u(get(a), i32.const(13)), splat(1)))),
      i32.const(13),
    );
    const subnormal = i32x4.sub(f32x4.add(get(a), f32x4.splat(f32.const(0.5))), splat(0x3f000000));
    return chunkRange(
      p,
      end,
      2,
      [
        whileLoop(
          i32.lt_u(get(p.out), get(end)),
          set(x, v128.load(get(p.x))),
          set(a, v128.and(get(x), splat(0x7fffffff))),
          set(r, v128.bitselect(subnormal, normal, i32x4.gt_s(splat(0x38800000), get(a)))),
          set(r, v128.bitselect(splat(0x7c00), get(r), i32x4.gt_s(get(a), splat(0x477fefff)))),
          set(r, v128.bitselect(splat(0x7e00), get(r), i32x4.gt_s(get(a), splat(0x7f800000)))),
          set(r, v128.or(get(r), v128.and(i32x4.shr_u(get(x), i32.const(16)), splat(0x8000)))),
          v128.store64Lane(get(p.out), i16x8.narrow_i32x4_u(get(r), get(r)), 0),
          inc(p.out, 8),
          inc(p.x, 16),
        ),
      ],
      [
        [p.x, 4],
        [p.out, 2],
      ],
    );
  });
  defineFunction(mod, "cast_int32_float32", { params: i32Params("x", "out", "n", "perChunk", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    return chunkRange(
      p,
      end,
      4,
      [
        whileLoop(
          i32.le_u(i32.add(get(p.out), i32.const(16)), get(end)),
          v128.store(get(p.out), f32x4.convert_i32x4_s(v128.load(get(p.x)))),
          inc(p.out, 16),
          inc(p.x, 16),
        ),
        whileLoop(i32.lt_u(get(p.out), get(end)), f32.store(get(p.out), f32.convert_i32_s(i32.load(get(p.x)))), inc(p.out, 4), inc(p.x, 4)),
      ],
      [
        [p.x, 4],
        [p.out, 4],
      ],
    );
  });
}

/**
 * Restricts a contiguous map to this call's chunks — elements [chunk0·perChunk, chunk1·perChunk)
 * clipped to n — by advancing each (pointer, element bytes) pair, then runs `body` up to `end`
 * (the output's stop pointer).
 */
function chunkRange(p: Record<string, number>, end: number, outBytes: number, body: Code[], pointers: [number, number][]): Code {
  const first = i32.mul(get(p.chunk0!), get(p.perChunk!));
  const stop = i32.mul(get(p.chunk1!), get(p.perChunk!));
  return [
    set(p.chunk1!, minS(stop, get(p.n!))),
    set(end, i32.add(get(p.out!), i32.mul(get(p.chunk1!), i32.const(outBytes)))),
    pointers.map(([ptr, size]) => set(ptr, i32.add(get(ptr), i32.mul(first, i32.const(size))))),
    body,
  ];
}
