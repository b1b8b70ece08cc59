/**
 * softmax / logSoftmax, layerNorm and batchNorm over float32, computed in float64 in the same order
 * as the reference kernels (max, exp(x - max), sum; mean, biased variance, (x - mean)·inv·w + b),
 * so the results agree with them to the final float32 rounding. One chunk = `perChunk` lines.
 */
import type { Code, ModuleBuilder } from "../encoder.ts";
import { defineFunction, locals } from "../define.ts";
import { call, choose, f32, f32x4, f64, f64x2, forRange, get, i32, ifElse, inc, minS, set, v128, when, whileLoop } from "../instructions.ts";
import { Struct } from "../struct.ts";
import type { MathFunctions } from "./math.ts";

export const SOFTMAX = new Struct(["x", "y", "D", "inner", "lines", "log", "perChunk"] as const);
export const LAYER_NORM = new Struct(["x", "y", "weight", "bias", "D", "lines", "perChunk"] as const);
export const BATCH_NORM = new Struct(["x", "y", "scale", "bias", "mean", "variance", "C", "inner", "lines", "perChunk"] as const);

const load64 = (addr: Code): Code => f64.promote_f32(f32.load(addr));

/** Lines [chunk0·perChunk, chunk1·perChunk) clipped to `lines`, as (first, last) locals. */
function lineRange(p: Record<string, number>, g: Readonly<Record<string, number>>, first: number, last: number): Code {
  return [
    set(first, i32.mul(get(p.chunk0!), get(g.perChunk!))),
    set(last, i32.mul(get(p.chunk1!), get(g.perChunk!))),
    set(last, minS(get(last), get(g.lines!))),
  ];
}

export function emitNormalize(mod: ModuleBuilder, math: MathFunctions): void {
  defineFunction(mod, "softmax", { params: { geo: "i32", chunk0: "i32", chunk1: "i32", scratch: "i32" } }, (p, fn) => {
    const { fields: g, code } = SOFTMAX.load(fn, p.geo);
    const [line, last, base, stride, d, at, e] = locals(fn, "i32", 7);
    const [max, sum, v, shift] = locals(fn, "f64", 4);
    /** Two inputs at at + `offset` bytes, widened to f64, minus the line's max. */
    const shifted = (offset: number): Code => f64x2.sub(f64x2.promote_low_f32x4(v128.load64Zero(get(at), offset)), f64x2.splat(get(max)));
    // Line (o, i) starts at o·D·inner + i and steps by inner.
    const walk = (...body: Code[]): Code => [
      set(at, get(base)),
      set(e, get(p.scratch)),
      forRange(d, i32.const(0), get(g.D), 1, body, inc(at, get(stride)), inc(e, 8)),
    ];
    /** A contiguous line (inner = 1): `body` on `lanes` elements at a time, then `tail` on the rest one by one. */
    const contiguousWalk = (lanes: number, body: Code[], tail: Code): Code => [
      set(at, get(base)),
      set(e, get(p.scratch)),
      set(d, i32.const(0)),
      whileLoop(i32.le_s(i32.add(get(d), i32.const(lanes)), get(g.D)), body, inc(at, 4 * lanes), inc(e, 8 * lanes), inc(d, lanes)),
      whileLoop(i32.lt_s(get(d), get(g.D)), tail, inc(at, 4), inc(e, 8), inc(d, 1)),
    ];
    /** One exp (input at `at`, kept at `e`) added to the sum. */
    const expStep: Code = [set(v, call(math.exp, f64.sub(load64(get(at)), get(max)))), f64.store(get(e), get(v)), set(sum, f64.add(get(sum), get(v)))];
    /** One output (at `at`, its exp at `e`): the reference's float64 step, rounded once to float32. */
    const output: Code = ifElse(
      get(g.log),
      [f32.store(i32.add(get(at), i32.sub(get(g.y), get(g.x))), f32.demote_f64(f64.sub(load64(get(at)), get(shift))))],
      [f32.store(i32.add(get(at), i32.sub(get(g.y), get(g.x))), f32.demote_f64(f64.div(f64.load(get(e)), get(sum))))],
    );
    return [
      code,
      set(stride, i32.shl(get(g.inner), i32.const(2))),
      lineRange(p, g, line, last),
      whileLoop(
        i32.lt_s(get(line), get(last)),
        set(
          base,
          i32.add(
            get(g.x),
            i32.shl(i32.add(i32.mul(i32.div_u(get(line), get(g.inner)), i32.mul(get(g.D), get(g.inner))), i32.rem_u(get(line), get(g.inner))), i32.const(2)),
          ),
        ),
        set(max, f64.const(-Infinity)),
        walk(set(max, f64.max(get(max), load64(get(at))))),
        set(sum, f64.const(0)),
        ifElse(
          i32.eq(get(g.inner), i32.const(1)),
          // Contiguous lines: exp four at a time (exp64x4 rounds each lane as exp64 does), summed in order.
          [
            contiguousWalk(
              4,
              [call(math.exp4, shifted(0), shifted(8), get(e)), [0, 8, 16, 24].map((offset) => set(sum, f64.add(get(sum), f64.load(get(e), offset))))],
              expStep,
            ),
          ],
          [walk(expStep)],
        ),
        // Only logSoftmax reads the shift: softmax skips the line's exact log.
        when(get(g.log), set(shift, f64.add(get(max), call(math.log, get(sum))))),
        // Outputs sit at the same offsets in y as the inputs in x.
        ifElse(
          i32.eq(get(g.inner), i32.const(1)),
          // Contiguous lines: two outputs per step, each lane rounded as the scalar step rounds it.
          [
            contiguousWalk(
              2,
              [
                v128.store64Lane(
                  i32.add(get(at), i32.sub(get(g.y), get(g.x))),
                  f32x4.demote_f64x2_zero(
                    choose(
                      "v128",
                      get(g.log),
                      f64x2.sub(f64x2.promote_low_f32x4(v128.load64Zero(get(at))), f64x2.splat(get(shift))),
                      f64x2.div(v128.load(get(e)), f64x2.splat(get(sum))),
                    ),
                  ),
                  0,
                ),
              ],
              output,
            ),
          ],
          [walk(output)],
        ),
        inc(line, 1),
      ),
    ];
  });

  defineFunction(mod, "layerNorm", { params: { geo: "i32", epsilon: "f64", chunk0: "i32", chunk1: "i32", scratch: "i32" } }, (p, fn) => {
    const { fields: g, code } = LAYER_NORM.load(fn, p.geo);
    const [line, last, xs, ys, d, off] = locals(fn, "i32", 6);
    const [mean, variance, inv, t] = locals(fn, "f64", 4);
    const over = (...body: Code[]): Code => forRange(d, i32.const(0), get(g.D), 1, set(off, i32.shl(get(d), i32.const(2))), body);
    const param = (ptr: number, fallback: number): Code => choose("f64", get(ptr), load64(i32.add(get(ptr), get(off))), f64.const(fallback));
    return [
      code,
      lineRange(p, g, line, last),
      whileLoop(
        i32.lt_s(get(line), get(last)),
        set(xs, i32.add(get(g.x), i32.shl(i32.mul(get(line), get(g.D)), i32.const(2)))),
        set(ys, i32.add(get(g.y), i32.shl(i32.mul(get(line), get(g.D)), i32.const(2)))),
        set(mean, f64.const(0)),
        over(set(mean, f64.add(get(mean), load64(i32.add(get(xs), get(off)))))),
        set(mean, f64.div(get(mean), f64.convert_i32_s(get(g.D)))),
        set(variance, f64.const(0)),
        over(set(t, f64.sub(load64(i32.add(get(xs), get(off))), get(mean))), set(variance, f64.add(get(variance), f64.mul(get(t), get(t))))),
        set(variance, f64.div(get(variance), f64.convert_i32_s(get(g.D)))),
        set(inv, f64.div(f64.const(1), f64.sqrt(f64.add(get(variance), get(p.epsilon))))),
        over(
          f32.store(
            i32.add(get(ys), get(off)),
            f32.demote_f64(f64.add(f64.mul(f64.mul(f64.sub(load64(i32.add(get(xs), get(off))), get(mean)), get(inv)), param(g.weight, 1)), param(g.bias, 0))),
          ),
        ),
        inc(line, 1),
      ),
    ];
  });

  defineFunction(mod, "batchNorm", { params: { geo: "i32", epsilon: "f64", chunk0: "i32", chunk1: "i32", scratch: "i32" } }, (p, fn) => {
    const { fields: g, code } = BATCH_NORM.load(fn, p.geo);
    const [line, last, c, at, end, out] = locals(fn, "i32", 6);
    const [inv, mean, scale, bias] = locals(fn, "f64", 4);
    const param = (ptr: number): Code => load64(i32.add(get(ptr), i32.shl(get(c), i32.const(2))));
    return [
      code,
      lineRange(p, g, line, last),
      whileLoop(
        i32.lt_s(get(line), get(last)),
        set(c, i32.rem_u(get(line), get(g.C))),
        set(inv, f64.div(f64.const(1), f64.sqrt(f64.add(param(g.variance), get(p.epsilon))))),
        set(mean, param(g.mean)),
        set(scale, param(g.scale)),
        set(bias, param(g.bias)),
        set(at, i32.add(get(g.x), i32.shl(i32.mul(get(line), get(g.inner)), i32.const(2)))),
        set(out, i32.add(get(g.y), i32.shl(i32.mul(get(line), get(g.inner)), i32.const(2)))),
        set(end, i32.add(get(at), i32.shl(get(g.inner), i32.const(2)))),
        whileLoop(
          i32.lt_u(get(at), get(end)),
          f32.store(get(out), f32.demote_f64(f64.add(f64.mul(f64.mul(f64.sub(load64(get(at)), get(mean)), get(inv)), get(scale)), get(bias)))),
          inc(at, 4),
          inc(out, 4),
        ),
        inc(line, 1),
      ),
    ];
  });
}
