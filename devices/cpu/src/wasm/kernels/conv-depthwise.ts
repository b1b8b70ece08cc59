/**
 * Direct convolution for one input channel per group (Cg = 1: depthwise convolutions, channel
 * multipliers, single-channel images). im2col + GEMM wastes most of its work there: the GEMM's
 * M is OCg (often 1, padded to a 4-row tile) and K only KH·KW, so packing dominates. Here each
 * input plane is copied once into a zero-bordered scratch plane, after which every tap of every
 * output is an unguarded load: outputs go 8 at a time (two f32x4 accumulators across the output
 * row), each tap a splatted weight times a vector of inputs — contiguous for stride 1, the even
 * lanes of two loads for stride 2, element by element for other strides.
 *
 * Chunks are blocks of `perChunk` planes (image, group); a plane's OCg outputs share its copy.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, choose, f32, f32x4, forRange, get, i32, ifElse, inc, lanes32, maxS, minS, set, v128, whileLoop } from "../instructions.ts";
import { Struct } from "../struct.ts";
import type { MemoryFunctions } from "./memory.ts";

/**
 * Geometry of a direct Cg = 1 convolution. `PH` x `PW` is the padded scratch plane: PH covers
 * every row a window reads, PW every column the vector loads read (OW rounded up to 4, times sw,
 * plus the kernel's span), so the tail vector of a row reads zeros, never past the plane.
 */
export const DEPTHWISE = new Struct([
  "image",
  "weight",
  "out",
  "bias",
  "N",
  "C",
  "H",
  "W",
  "OCg",
  "KH",
  "KW",
  "sh",
  "sw",
  "dh",
  "dw",
  "pt",
  "pl",
  "OH",
  "OW",
  "PH",
  "PW",
  "perChunk",
] as const);

/** Padded scratch plane size for a geometry (elements), as the kernel lays it out. */
export function depthwisePlane(g: { OH: number; OW: number; KH: number; KW: number; sh: number; sw: number; dh: number; dw: number }): {
  PH: number;
  PW: number;
} {
  return { PH: (g.OH - 1) * g.sh + (g.KH - 1) * g.dh + 1, PW: Math.ceil(g.OW / 4) * 4 * g.sw + (g.KW - 1) * g.dw };
}

const bytes = (elements: Code): Code => i32.shl(elements, i32.const(2));

type Fields = Readonly<Record<(typeof DEPTHWISE.fields)[number], number>>;

/** rows, cols = the image rows and columns that land inside the padded plane (the rest is never read). */
export function planeClip(g: Fields, rows: number, cols: number): Code {
  return [set(rows, minS(get(g.H), i32.sub(get(g.PH), get(g.pt)))), set(cols, minS(get(g.W), i32.sub(get(g.PW), get(g.pl))))];
}

/** Zeroes the PH x PW scratch plane at `pad`. */
export function zeroPlane(m: MemoryFunctions, g: Fields, pad: number): Code {
  return call(m.zero, get(pad), i32.mul(get(g.PH), get(g.PW)));
}

/**
 * Copies the image plane at `src` into the scratch plane at `pad` at (pt, pl), clipped (see
 * planeClip); `k` is a spare local. It writes the same region for every plane of a geometry, so
 * the zero border around it, once written, stays.
 */
export function copyPlane(m: MemoryFunctions, g: Fields, pad: number, src: number, k: number, rows: number, cols: number): Code {
  return forRange(
    k,
    i32.const(0),
    get(rows),
    1,
    ifElse(
      i32.gt_s(get(cols), i32.const(0)),
      [
        call(
          m.copy,
          add(get(pad), bytes(add(i32.mul(i32.add(get(k), get(g.pt)), get(g.PW)), get(g.pl)))),
          add(get(src), bytes(i32.mul(get(k), get(g.W)))),
          get(cols),
        ),
      ],
      [],
    ),
  );
}

/** The input vector for 4 consecutive outputs of a tap whose first input is at `at` + `offset` bytes (stride 1 or 2). */
export function strideInputs(at: Code, offset: number, stride: 1 | 2): Code {
  return stride === 1 ? v128.load(at, offset) : v128.shuffle(v128.load(at, offset), v128.load(at, offset + 16), lanes32(0, 2, 4, 6));
}
const add = (...xs: Code[]): Code => xs.reduce((acc, x) => i32.add(acc, x));

/** The first kernel row ki >= 0 whose padded row oh·sh + ki·dh is at or past `padded`: ceil((padded - oh·sh) / dh), at least 0. */
const firstTapReaching = (padded: Code, oh: Code, sh: Code, dh: Code): Code =>
  i32.div_u(i32.add(maxS(i32.const(0), i32.sub(padded, i32.mul(oh, sh))), i32.sub(dh, i32.const(1))), dh);

/**
 * An elementwise program the direct kernel applies to each output as it stores it
 * (gemm-epilogue-modules.ts), instead of storing the conv's result for a second pass: called once
 * with the kernel's function, for the code it emits there.
 */
export type DepthwiseEpilogue = (fn: FunctionBuilder) => {
  /** Per output plane (image n, output channel oc, first output at outPlane; `ep` the descriptor): sets up what `store` reads. */
  readonly plane: (at: { readonly ep: number; readonly n: number; readonly oc: number; readonly outPlane: number }) => Code;
  /** Finishes `value` (4 outputs, or 1 as a scalar) whose place in the output is `offset` bytes past the address in local `dst`. */
  readonly store: (value: Code, dst: number, offset: number, vector: boolean) => Code;
};

export function emitConvDepthwise(mod: ModuleBuilder, m: MemoryFunctions, options: { fma: boolean }): void {
  defineDepthwise(mod, m, options, "conv2dDepthwise");
}

/**
 * The direct kernel `name`(geo, chunk0, chunk1, scratch), or with an epilogue
 * `name`(geo, ep, chunk0, chunk1, scratch) where `ep` is the epilogue's descriptor.
 */
export function defineDepthwise(mod: ModuleBuilder, m: MemoryFunctions, options: { fma: boolean }, name: string, epilogue?: DepthwiseEpilogue): void {
  const madd = (x: Code, y: Code, z: Code): Code => (options.fma ? f32x4.relaxedMadd(x, y, z) : f32x4.add(z, f32x4.mul(x, y)));
  const params = epilogue ? i32Params("geo", "ep", "chunk0", "chunk1", "scratch") : i32Params("geo", "chunk0", "chunk1", "scratch");

  defineFunction(mod, name, { params }, (named, fn) => {
    const p = named as Record<"geo" | "ep" | "chunk0" | "chunk1" | "scratch", number>;
    const { fields: g, code } = DEPTHWISE.load(fn, p.geo);
    const finish = epilogue?.(fn);
    const [q, q1, n, grp, j, oc, src, pad, wv, taps, outPlane, oh, ow, row, dst, ki, kj, rp, wp, rows, cols, k, rowStep, lane] = locals(fn, "i32", 24);
    // Kernel rows [kiLo, kiHi) of output row oh read image rows; the others read only the zero border and are skipped.
    const [kiLo, kiHi] = locals(fn, "i32", 2);
    const [biasV, w] = locals(fn, "v128", 2);
    const acc = locals(fn, "v128", 4);
    const [s] = locals(fn, "f32", 1);

    /** `body` once per tap (ki, kj) of the window of output (oh, ow): rp = its first input, wp = its splatted weight. */
    const eachTap = (...body: Code[]): Code => [
      set(wp, add(get(wv), i32.shl(i32.mul(get(kiLo), get(g.KW)), i32.const(4)))),
      forRange(
        ki,
        get(kiLo),
        get(kiHi),
        1,
        set(rp, add(get(row), bytes(i32.mul(get(ki), get(rowStep))), bytes(i32.mul(get(ow), get(g.sw))))),
        forRange(kj, i32.const(0), get(g.KW), 1, body, inc(rp, bytes(get(g.dw))), inc(wp, 16)),
      ),
    ];

    const inputs = strideInputs;

    /** acc[0..vectors) += w · the inputs of the tap at rp (+ `offset` bytes): vectors of 4 consecutive outputs. */
    const tap = (stride: 1 | 2, vectors: number, wOffset: number, offset: number): Code => [
      set(w, v128.load(get(wp), wOffset)),
      acc.slice(0, vectors).map((a, v) => set(a, madd(get(w), inputs(get(rp), offset + v * 16 * stride, stride), get(a)))),
    ];

    /**
     * acc[0..vectors) = Σ taps w · x for the 4·vectors outputs starting at ow of row oh. With `kw`
     * (dilation 1 along the row) the taps of a kernel row are unrolled at constant offsets.
     */
    const accumulate = (stride: 1 | 2, vectors: number, kw: number | undefined, clip: boolean): Code => [
      acc.slice(0, vectors).map((a) => set(a, f32x4.const(0))),
      kw === undefined
        ? eachTap(tap(stride, vectors, 0, 0))
        : [
            clip ? set(wp, add(get(wv), i32.mul(get(kiLo), i32.const(kw * 16)))) : set(wp, get(wv)),
            clip
              ? set(rp, add(get(row), bytes(i32.mul(get(kiLo), get(rowStep))), bytes(i32.mul(get(ow), get(g.sw)))))
              : set(rp, add(get(row), bytes(i32.mul(get(ow), get(g.sw))))),
            forRange(
              ki,
              clip ? get(kiLo) : i32.const(0),
              clip ? get(kiHi) : get(g.KH),
              1,
              Array.from({ length: kw }, (_, kj) => tap(stride, vectors, kj * 16, kj * 4)),
              inc(rp, bytes(get(rowStep))),
              inc(wp, kw * 16),
            ),
          ],
    ];

    /** Stores a vector (or a scalar) at `offset` bytes past dst, through the epilogue if there is one. */
    const put = (value: Code, offset: number, vector: boolean): Code =>
      finish ? finish.store(value, dst, offset, vector) : vector ? v128.store(get(dst), value, offset) : f32.store(get(dst), value, offset);

    /** Stores acc[0..vectors) + bias at outputs [ow, ow + 4·vectors) of row oh, only those below OW for a tail vector. */
    const store = (vectors: number, tail: boolean): Code => [
      set(dst, add(get(outPlane), bytes(add(i32.mul(get(oh), get(g.OW)), get(ow))))),
      acc.slice(0, vectors).map((a) => set(a, f32x4.add(get(a), get(biasV)))),
      tail
        ? ifElse(
            i32.le_s(i32.add(get(ow), i32.const(4)), get(g.OW)),
            [put(get(acc[0]!), 0, true)],
            [0, 1, 2].map((l) => [ifElse(i32.lt_s(i32.add(get(ow), i32.const(l)), get(g.OW)), [put(f32x4.extractLane(get(acc[0]!), l), l * 4, false)], [])]),
          )
        : acc.slice(0, vectors).map((a, v) => put(get(a), v * 16, true)),
    ];

    /** One output row with vector loads: 16 outputs at a time, then 8, then 4 (the last one partial). */
    const vectorRow = (stride: 1 | 2, kw: number | undefined, clip: boolean): Code => [
      set(ow, i32.const(0)),
      [4, 2].map((vectors) =>
        whileLoop(
          i32.le_s(i32.add(get(ow), i32.const(4 * vectors)), get(g.OW)),
          accumulate(stride, vectors, kw, clip),
          store(vectors, false),
          inc(ow, 4 * vectors),
        ),
      ),
      whileLoop(i32.lt_s(get(ow), get(g.OW)), accumulate(stride, 1, kw, clip), store(1, true), inc(ow, 4)),
    ];

    /** The vector row for this stride, with the taps unrolled for the common 3- and 5-wide undilated kernels. */
    const vectorRows = (stride: 1 | 2, clip: boolean): Code =>
      ifElse(
        i32.and(i32.eq(get(g.KW), i32.const(3)), i32.eq(get(g.dw), i32.const(1))),
        [vectorRow(stride, 3, clip)],
        [ifElse(i32.and(i32.eq(get(g.KW), i32.const(5)), i32.eq(get(g.dw), i32.const(1))), [vectorRow(stride, 5, clip)], [vectorRow(stride, undefined, clip)])],
      );

    /** Any stride: one output at a time. */
    const scalarRow: Code = forRange(
      ow,
      i32.const(0),
      get(g.OW),
      1,
      set(s, f32.const(0)),
      eachTap(set(s, f32.add(get(s), f32.mul(f32.load(get(wp)), f32.load(get(rp)))))),
      set(dst, add(get(outPlane), bytes(add(i32.mul(get(oh), get(g.OW)), get(ow))))),
      put(f32.add(get(s), f32x4.extractLane(get(biasV), 0)), 0, false),
    );

    return [
      code,
      set(taps, i32.mul(get(g.KH), get(g.KW))),
      set(pad, get(p.scratch)),
      // Splatted weights after the padded plane, 16-byte aligned.
      set(wv, i32.and(i32.add(add(get(pad), bytes(i32.mul(get(g.PH), get(g.PW)))), i32.const(15)), i32.const(-16))),
      set(rowStep, i32.mul(get(g.dh), get(g.PW))),
      planeClip(g, rows, cols),
      set(q, i32.mul(get(p.chunk0), get(g.perChunk))),
      set(q1, minS(i32.mul(get(p.chunk1), get(g.perChunk)), i32.mul(get(g.N), get(g.C)))),
      // The border is zeroed once per chunk: every plane's copy overwrites only the interior (a
      // tenth of a 3x3 conv's time on 12x80 planes went to zeroing each plane whole).
      zeroPlane(m, g, pad),
      whileLoop(
        i32.lt_s(get(q), get(q1)),
        set(n, i32.div_u(get(q), get(g.C))),
        set(grp, i32.sub(get(q), i32.mul(get(n), get(g.C)))),
        // Copy the plane into the zero-bordered scratch at (pt, pl).
        set(src, add(get(g.image), bytes(i32.mul(get(q), i32.mul(get(g.H), get(g.W)))))),
        copyPlane(m, g, pad, src, k, rows, cols),
        forRange(
          j,
          i32.const(0),
          get(g.OCg),
          1,
          set(oc, i32.add(i32.mul(get(grp), get(g.OCg)), get(j))),
          // This output channel's taps, each splatted to a vector.
          set(wp, add(get(g.weight), bytes(i32.mul(get(oc), get(taps))))),
          forRange(
            lane,
            i32.const(0),
            get(taps),
            1,
            v128.store(i32.add(get(wv), i32.shl(get(lane), i32.const(4))), v128.load32Splat(i32.add(get(wp), bytes(get(lane))))),
          ),
          set(biasV, choose("v128", get(g.bias), v128.load32Splat(add(get(g.bias), bytes(get(oc)))), f32x4.const(0))),
          set(outPlane, add(get(g.out), bytes(i32.mul(add(i32.mul(get(n), i32.mul(get(g.C), get(g.OCg))), get(oc)), i32.mul(get(g.OH), get(g.OW)))))),
          finish ? finish.plane({ ep: p.ep, n, oc, outPlane }) : [],
          forRange(
            oh,
            i32.const(0),
            get(g.OH),
            1,
            set(row, add(get(pad), bytes(i32.mul(i32.mul(get(oh), get(g.sh)), get(g.PW))))),
            set(kiLo, firstTapReaching(get(g.pt), get(oh), get(g.sh), get(g.dh))),
            set(kiHi, maxS(get(kiLo), minS(get(g.KH), firstTapReaching(i32.add(get(g.pt), get(rows)), get(oh), get(g.sh), get(g.dh))))),
            ifElse(
              i32.eq(get(g.sw), i32.const(1)),
              // Rows that read the whole kernel keep constant loop bounds (V8 runs those ~7% faster).
              [ifElse(i32.and(i32.eqz(get(kiLo)), i32.eq(get(kiHi), get(g.KH))), [vectorRows(1, false)], [vectorRows(1, true)])],
              [ifElse(i32.eq(get(g.sw), i32.const(2)), [vectorRows(2, true)], [scalarRow])],
            ),
          ),
        ),
        inc(q, 1),
      ),
    ];
  });
}
