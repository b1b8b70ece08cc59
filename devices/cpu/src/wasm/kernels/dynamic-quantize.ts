/**
 * dynamicQuantizeLinear's two passes over a contiguous float32 x (fast/dynamic-quantize.ts computes
 * the scale and zero point between them): `dqlRange` writes x's minimum and maximum (NaN if any
 * element is NaN: the min/max instructions propagate it), `dqlQuantize` writes
 * y = min(max(nearest(x / scale) + zeroPoint, 0), 255) as uint8, sixteen elements a step — the
 * reference's float32 steps in its order (nearest is round half to even), so the bytes are equal.
 */
import type { Code, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, get, i16x8, i32, i32x4, i8x16, inc, lanes32, set, v128, whileLoop } from "../instructions.ts";

export function emitDynamicQuantize(mod: ModuleBuilder): void {
  defineFunction(mod, "dqlRange", { params: i32Params("x", "n", "out") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    const [lo, hi, v] = locals(fn, "v128", 3);
    const [slo, shi] = locals(fn, "f32", 2);
    // Lane-wise over the vector part, then the lanes folded by two shuffles, then the tail.
    const fold = (acc: number, op: (a: Code, b: Code) => Code): Code[] => [
      set(acc, op(get(acc), v128.shuffle(get(acc), get(acc), lanes32(2, 3, 0, 1)))),
      set(acc, op(get(acc), v128.shuffle(get(acc), get(acc), lanes32(1, 0, 3, 2)))),
    ];
    return [
      set(end, i32.add(get(p.x), i32.shl(get(p.n), i32.const(2)))),
      set(lo, f32x4.const(Infinity)),
      set(hi, f32x4.const(-Infinity)),
      whileLoop(
        i32.le_u(i32.add(get(p.x), i32.const(16)), get(end)),
        set(v, v128.load(get(p.x))),
        set(lo, f32x4.min(get(lo), get(v))),
        set(hi, f32x4.max(get(hi), get(v))),
        inc(p.x, 16),
      ),
      fold(lo, f32x4.min),
      fold(hi, f32x4.max),
      set(slo, f32x4.extractLane(get(lo), 0)),
      set(shi, f32x4.extractLane(get(hi), 0)),
      whileLoop(i32.lt_u(get(p.x), get(end)), set(slo, f32.min(get(slo), f32.load(get(p.x)))), set(shi, f32.max(get(shi), f32.load(get(p.x)))), inc(p.x, 4)),
      f32.store(get(p.out), get(slo)),
      f32.store(get(p.out), get(shi), 4),
    ];
  });

  const params = { x: "i32", n: "i32", y: "i32", scale: "f32", zeroPoint: "f32" } as const;
  defineFunction(mod, "dqlQuantize", { params }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    const [s, z] = locals(fn, "v128", 2);
    const level = (v: Code): Code =>
      i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(f32x4.div(v, get(s))), get(z)), f32x4.const(0)), f32x4.const(255)));
    const four = (k: number): Code => level(v128.load(get(p.x), 16 * k));
    const one = (v: Code): Code =>
      i32.trunc_sat_f32_s(f32.min(f32.max(f32.add(f32.nearest(f32.div(v, get(p.scale))), get(p.zeroPoint)), f32.const(0)), f32.const(255)));
    return [
      set(end, i32.add(get(p.x), i32.shl(get(p.n), i32.const(2)))),
      set(s, f32x4.splat(get(p.scale))),
      set(z, f32x4.splat(get(p.zeroPoint))),
      whileLoop(
        i32.le_u(i32.add(get(p.x), i32.const(64)), get(end)),
        v128.store(get(p.y), i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(four(0), four(1)), i16x8.narrow_i32x4_u(four(2), four(3)))),
        inc(p.x, 64),
        inc(p.y, 16),
      ),
      whileLoop(i32.lt_u(get(p.x), get(end)), i32.store8(get(p.y), one(f32.load(get(p.x)))), inc(p.x, 4), inc(p.y, 1)),
    ];
  });
}
