/**
 * The weight gradient of a convolution with one input channel per group (depthwise layers):
 *   dw[oc, ki, kj] = Σ_n Σ_oh,ow gradOut[n, oc, oh, ow] · x[n, g, oh·sh + ki·dh - pt, ow·sw + kj·dw - pl]
 * with g = oc / OCg. im2col + GEMM runs this as one small GEMM per image whose N is KH·KW, which is
 * mostly packing (0.9 GMAC/s). Here each input plane is copied once into the zero-bordered scratch
 * of the forward kernel, and each tap is a dot product of a gradOut plane with a shifted window of
 * it, four outputs per vector (the last few of a row one by one, so no product outside the output
 * is ever formed). Partial sums live in a vector per (output channel, tap) in scratch and are added
 * up across the lanes at the end.
 *
 * Chunks are blocks of `perChunk` input channels; each channel sums its images in order, so dw is
 * the same whatever the thread count.
 */
import type { Code, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, f32, f32x4, forRange, get, i32, ifElse, inc, minS, set, v128, whileLoop } from "../instructions.ts";
import { copyPlane, DEPTHWISE, planeClip, strideInputs, zeroPlane } from "./conv-depthwise.ts";
import type { MemoryFunctions } from "./memory.ts";

const bytes = (elements: Code): Code => i32.shl(elements, i32.const(2));
const add = (...xs: Code[]): Code => xs.reduce((acc, x) => i32.add(acc, x));

/** Scratch the kernel needs beyond the padded plane: one vector per (output channel of a group, tap). */
export const depthwiseGradScratch = (OCg: number, KH: number, KW: number): number => 16 + OCg * KH * KW * 16;

export function emitConvDepthwiseGrad(mod: ModuleBuilder, m: MemoryFunctions, options: { fma: boolean }): void {
  const madd = (x: Code, y: Code, z: Code): Code => (options.fma ? f32x4.relaxedMadd(x, y, z) : f32x4.add(z, f32x4.mul(x, y)));

  // `image` is x, `weight` gradOut, `out` dw (the record of the forward kernel, fields reused).
  defineFunction(mod, "conv2dDepthwiseGradWeight", { params: i32Params("geo", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const { fields: g, code } = DEPTHWISE.load(fn, p.geo);
    const [c, c1, n, j, oc, src, pad, sums, taps, ki, kj, oh, ow, xr, gr, slot, rows, cols, k] = locals(fn, "i32", 19);
    const [acc] = locals(fn, "v128", 1);
    const [s] = locals(fn, "f32", 1);

    /** Σ over the plane of gradOut · the window of tap (ki, kj) into acc (vectors) and s (the ragged ends of rows). */
    const dot = (stride: 1 | 2 | undefined): Code =>
      forRange(
        oh,
        i32.const(0),
        get(g.OH),
        1,
        set(xr, add(get(pad), bytes(add(i32.mul(add(i32.mul(get(oh), get(g.sh)), i32.mul(get(ki), get(g.dh))), get(g.PW)), i32.mul(get(kj), get(g.dw)))))),
        set(gr, add(get(src), bytes(i32.mul(get(oh), get(g.OW))))),
        set(ow, i32.const(0)),
        stride === undefined
          ? []
          : whileLoop(
              i32.le_s(i32.add(get(ow), i32.const(4)), get(g.OW)),
              set(acc, madd(v128.load(add(get(gr), bytes(get(ow)))), strideInputs(add(get(xr), bytes(i32.mul(get(ow), get(g.sw)))), 0, stride), get(acc))),
              inc(ow, 4),
            ),
        whileLoop(
          i32.lt_s(get(ow), get(g.OW)),
          set(s, f32.add(get(s), f32.mul(f32.load(add(get(gr), bytes(get(ow)))), f32.load(add(get(xr), bytes(i32.mul(get(ow), get(g.sw)))))))),
          inc(ow, 1),
        ),
      );

    /** Adds this image's products for every tap of output channel oc to its partial sums. */
    const accumulateTaps: Code = forRange(
      ki,
      i32.const(0),
      get(g.KH),
      1,
      forRange(
        kj,
        i32.const(0),
        get(g.KW),
        1,
        set(acc, f32x4.const(0)),
        set(s, f32.const(0)),
        ifElse(i32.eq(get(g.sw), i32.const(1)), [dot(1)], [ifElse(i32.eq(get(g.sw), i32.const(2)), [dot(2)], [dot(undefined)])]),
        set(slot, add(get(sums), bytes(bytes(add(i32.mul(get(j), get(taps)), i32.mul(get(ki), get(g.KW)), get(kj)))))),
        v128.store(get(slot), f32x4.add(v128.load(get(slot)), get(acc))),
        f32.store(get(slot), f32.add(f32.load(get(slot)), get(s))),
      ),
    );

    return [
      code,
      set(taps, i32.mul(get(g.KH), get(g.KW))),
      set(pad, get(p.scratch)),
      set(sums, i32.and(i32.add(add(get(pad), bytes(i32.mul(get(g.PH), get(g.PW)))), i32.const(15)), i32.const(-16))),
      planeClip(g, rows, cols),
      set(c, i32.mul(get(p.chunk0), get(g.perChunk))),
      set(c1, minS(i32.mul(get(p.chunk1), get(g.perChunk)), get(g.C))),
      // Zeroed once per chunk: each plane's copy overwrites only the interior (see copyPlane).
      zeroPlane(m, g, pad),
      whileLoop(
        i32.lt_s(get(c), get(c1)),
        call(m.zero, get(sums), i32.mul(i32.mul(get(g.OCg), get(taps)), i32.const(4))),
        forRange(
          n,
          i32.const(0),
          get(g.N),
          1,
          set(src, add(get(g.image), bytes(i32.mul(add(i32.mul(get(n), get(g.C)), get(c)), i32.mul(get(g.H), get(g.W)))))),
          copyPlane(m, g, pad, src, k, rows, cols),
          forRange(
            j,
            i32.const(0),
            get(g.OCg),
            1,
            set(oc, add(i32.mul(get(c), get(g.OCg)), get(j))),
            set(src, add(get(g.weight), bytes(i32.mul(add(i32.mul(get(n), i32.mul(get(g.C), get(g.OCg))), get(oc)), i32.mul(get(g.OH), get(g.OW)))))),
            accumulateTaps,
          ),
        ),
        // dw[oc, tap] = the four lanes of its partial sums, added in lane order.
        forRange(
          k,
          i32.const(0),
          i32.mul(get(g.OCg), get(taps)),
          1,
          set(slot, add(get(sums), bytes(bytes(get(k))))),
          set(acc, v128.load(get(slot))),
          f32.store(
            add(get(g.out), bytes(add(i32.mul(i32.mul(get(c), get(g.OCg)), get(taps)), get(k)))),
            f32.add(
              f32.add(f32x4.extractLane(get(acc), 0), f32x4.extractLane(get(acc), 1)),
              f32.add(f32x4.extractLane(get(acc), 2), f32x4.extractLane(get(acc), 3)),
            ),
          ),
        ),
        inc(c, 1),
      ),
    ];
  });
}
