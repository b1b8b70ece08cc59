/**
 * Depthwise convolution on channels-last activations (conv2dNhwc with one input and one output
 * channel per group): x[N,H,W,C], weights re-laid out as [KH,KW,C], out [N,OH,OW,C]. Each output
 * position is C sums side by side, so four f32x4 accumulators take 16 channels at a time and
 * every tap is two contiguous vector loads — no padded plane copy, no row tails: taps outside
 * the image are skipped by clipping each window to [kiLo, kiHi) x [kjLo, kjHi). Per sum, the taps
 * run in (ki, kj) order and the bias comes last, as in the NCHW direct kernel (conv-depthwise.ts),
 * whose padding taps add w · 0: both give the same floats. C must be a multiple of 4.
 *
 * Chunks are blocks of `perChunk` output rows (image n, row oh).
 */
import type { Code, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { choose, f32x4, forRange, get, i32, inc, maxS, minS, set, v128, whileLoop } from "../instructions.ts";
import { Struct } from "../struct.ts";

export const DEPTHWISE_NHWC = new Struct([
  "image",
  "weight",
  "out",
  "bias",
  "N",
  "H",
  "W",
  "C",
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
  "perChunk",
] as const);

const add = (...xs: Code[]): Code => xs.reduce((acc, x) => i32.add(acc, x));

/** The first tap k >= 0 whose input o·s - pad + k·d is at or past `edge` - pad: ceil((edge - o·s) / d), at least 0. */
const firstTapReaching = (edge: Code, o: Code, s: Code, d: Code): Code =>
  i32.div_u(i32.add(maxS(i32.const(0), i32.sub(edge, i32.mul(o, s))), i32.sub(d, i32.const(1))), d);

export function emitConvDepthwiseNhwc(mod: ModuleBuilder, options: { fma: boolean }): void {
  const madd = (x: Code, y: Code, z: Code): Code => (options.fma ? f32x4.relaxedMadd(x, y, z) : f32x4.add(z, f32x4.mul(x, y)));
  defineFunction(mod, "conv2dDepthwiseNhwc", { params: i32Params("geo", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const { fields: g, code } = DEPTHWISE_NHWC.load(fn, p.geo);
    const [r, r1, n, oh, ow, kiLo, kiHi, kjLo, kjHi, ki, kj, ip, wp, cb, pixel, image, dstRow, dst, rowStart] = locals(fn, "i32", 19);
    const acc = locals(fn, "v128", 4);

    /** acc[0..vectors) = Σ taps w · x + bias for channels at byte cb of output (oh, ow), stored at dst. */
    const channelBlock = (vectors: number): Code => [
      acc.slice(0, vectors).map((a) => set(a, f32x4.const(0))),
      forRange(
        ki,
        get(kiLo),
        get(kiHi),
        1,
        set(
          ip,
          add(
            get(image),
            i32.mul(add(i32.mul(i32.add(i32.sub(i32.mul(get(oh), get(g.sh)), get(g.pt)), i32.mul(get(ki), get(g.dh))), get(g.W)), get(rowStart)), get(pixel)),
            get(cb),
          ),
        ),
        set(wp, add(get(g.weight), i32.mul(i32.add(i32.mul(get(ki), get(g.KW)), get(kjLo)), get(pixel)), get(cb))),
        forRange(
          kj,
          get(kjLo),
          get(kjHi),
          1,
          acc.slice(0, vectors).map((a, v) => set(a, madd(v128.load(get(wp), v * 16), v128.load(get(ip), v * 16), get(a)))),
          inc(ip, i32.mul(get(g.dw), get(pixel))),
          inc(wp, get(pixel)),
        ),
      ),
      acc
        .slice(0, vectors)
        .map((a, v) => set(a, f32x4.add(get(a), choose("v128", get(g.bias), v128.load(i32.add(get(g.bias), get(cb)), v * 16), f32x4.const(0))))),
      acc.slice(0, vectors).map((a, v) => v128.store(i32.add(get(dst), get(cb)), get(a), v * 16)),
      inc(cb, vectors * 16),
    ];

    return [
      code,
      set(pixel, i32.shl(get(g.C), i32.const(2))),
      set(r, i32.mul(get(p.chunk0), get(g.perChunk))),
      set(r1, minS(i32.mul(get(p.chunk1), get(g.perChunk)), i32.mul(get(g.N), get(g.OH)))),
      whileLoop(
        i32.lt_s(get(r), get(r1)),
        set(n, i32.div_u(get(r), get(g.OH))),
        set(oh, i32.sub(get(r), i32.mul(get(n), get(g.OH)))),
        set(image, add(get(g.image), i32.mul(i32.mul(get(n), i32.mul(get(g.H), get(g.W))), get(pixel)))),
        set(dstRow, add(get(g.out), i32.mul(i32.mul(get(r), get(g.OW)), get(pixel)))),
        set(kiLo, firstTapReaching(get(g.pt), get(oh), get(g.sh), get(g.dh))),
        set(kiHi, maxS(get(kiLo), minS(get(g.KH), firstTapReaching(i32.add(get(g.pt), get(g.H)), get(oh), get(g.sh), get(g.dh))))),
        forRange(
          ow,
          i32.const(0),
          get(g.OW),
          1,
          set(kjLo, firstTapReaching(get(g.pl), get(ow), get(g.sw), get(g.dw))),
          set(kjHi, maxS(get(kjLo), minS(get(g.KW), firstTapReaching(i32.add(get(g.pl), get(g.W)), get(ow), get(g.sw), get(g.dw))))),
          // Input column of tap kjLo: ow·sw - pl + kjLo·dw.
          set(rowStart, i32.add(i32.sub(i32.mul(get(ow), get(g.sw)), get(g.pl)), i32.mul(get(kjLo), get(g.dw)))),
          set(dst, add(get(dstRow), i32.mul(get(ow), get(pixel)))),
          set(cb, i32.const(0)),
          whileLoop(i32.le_s(i32.add(get(cb), i32.const(64)), get(pixel)), channelBlock(4)),
          whileLoop(i32.lt_s(get(cb), get(pixel)), channelBlock(1)),
        ),
        inc(r, 1),
      ),
    ];
  });
}
