/**
 * Moves 4-byte elements (float32 or int32 bits, unchanged) from one strided region to another:
 * dst[i0,i1,i2,i3] = src[i0,i1,i2,i3] over a shape of rank 4 (callers pad with leading 1s and
 * merge dims first), each side with its own byte strides. The innermost run is a vector copy
 * when both sides step one element along it, else one load and store per element. Chunks are
 * blocks of `per` indices of the outermost dim.
 */
import type { Code, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { forRange, get, i32, ifElse, inc, minS, set, v128, whileLoop } from "../instructions.ts";

export function emitStridedMove(mod: ModuleBuilder): void {
  const params = i32Params("src", "dst", "n0", "n1", "n2", "n3", "s0", "s1", "s2", "s3", "d0", "d1", "d2", "d3", "per", "chunk0", "chunk1", "scratch");
  defineFunction(mod, "move4", { params }, (p, fn) => {
    const [i0, i1, i2, end0, from, to, fromRow, toRow, stop] = locals(fn, "i32", 9);
    // The innermost run from `from` to `to`: `stop` is where `to` ends.
    const contiguousRun: Code = [
      set(stop, i32.add(get(to), i32.shl(get(p.n3), i32.const(2)))),
      whileLoop(i32.le_u(i32.add(get(to), i32.const(16)), get(stop)), v128.store(get(to), v128.load(get(from))), inc(to, 16), inc(from, 16)),
      whileLoop(i32.lt_u(get(to), get(stop)), i32.store(get(to), i32.load(get(from))), inc(to, 4), inc(from, 4)),
    ];
    const stridedRun: Code = [
      set(stop, i32.add(get(to), i32.mul(get(p.n3), get(p.d3)))),
      whileLoop(i32.ne(get(to), get(stop)), i32.store(get(to), i32.load(get(from))), inc(to, get(p.d3)), inc(from, get(p.s3))),
    ];
    const rows = (run: Code): Code =>
      forRange(
        i0,
        i32.mul(get(p.chunk0), get(p.per)),
        get(end0),
        1,
        forRange(
          i1,
          i32.const(0),
          get(p.n1),
          1,
          set(fromRow, i32.add(get(p.src), i32.add(i32.mul(get(i0), get(p.s0)), i32.mul(get(i1), get(p.s1))))),
          set(toRow, i32.add(get(p.dst), i32.add(i32.mul(get(i0), get(p.d0)), i32.mul(get(i1), get(p.d1))))),
          forRange(i2, i32.const(0), get(p.n2), 1, set(from, get(fromRow)), set(to, get(toRow)), run, inc(fromRow, get(p.s2)), inc(toRow, get(p.d2))),
        ),
      );
    return [
      set(end0, minS(i32.mul(get(p.chunk1), get(p.per)), get(p.n0))),
      ifElse(i32.and(i32.eq(get(p.s3), i32.const(4)), i32.eq(get(p.d3), i32.const(4))), [rows(contiguousRun)], [rows(stridedRun)]),
    ];
  });
}
