/**
 * ONNX Gather on 4-byte elements: out[a, j, i] = x[a, idx[j], i] over outer rows a, index
 * positions j and inner runs i. Indices were checked by the caller. A run of one element (a
 * gather along the last axis, as a nearest-neighbour resize makes) is a plain load and store per
 * output; longer runs are vector copies. Chunks are blocks of `per` outer rows.
 */
import type { ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, f32, forRange, get, i32, ifElse, inc, minS, set } from "../instructions.ts";
import type { MemoryFunctions } from "./memory.ts";

export function emitGather(mod: ModuleBuilder, m: MemoryFunctions): void {
  const params = i32Params("x", "idx", "out", "size", "count", "inner", "outer", "per", "chunk0", "chunk1", "scratch");
  defineFunction(mod, "gather4", { params }, (p, fn) => {
    const [a, a1, j, row, dst, run] = locals(fn, "i32", 6);
    const index = (at: number) => i32.load(i32.add(get(p.idx), i32.shl(get(at), i32.const(2))));
    return [
      set(run, i32.shl(get(p.inner), i32.const(2))),
      set(a1, minS(i32.mul(get(p.chunk1), get(p.per)), get(p.outer))),
      set(dst, i32.add(get(p.out), i32.mul(i32.mul(i32.mul(get(p.chunk0), get(p.per)), get(p.count)), get(run)))),
      forRange(
        a,
        i32.mul(get(p.chunk0), get(p.per)),
        get(a1),
        1,
        set(row, i32.add(get(p.x), i32.mul(i32.mul(get(a), get(p.size)), get(run)))),
        ifElse(
          i32.eq(get(p.inner), i32.const(1)),
          [forRange(j, i32.const(0), get(p.count), 1, f32.store(get(dst), f32.load(i32.add(get(row), i32.shl(index(j), i32.const(2))))), inc(dst, 4))],
          [
            forRange(
              j,
              i32.const(0),
              get(p.count),
              1,
              call(m.copy, get(dst), i32.add(get(row), i32.mul(index(j), get(run))), get(p.inner)),
              inc(dst, get(run)),
            ),
          ],
        ),
      ),
    ];
  });
}
