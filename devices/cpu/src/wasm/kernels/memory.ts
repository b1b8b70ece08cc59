/** Small vector loops over float32 runs, shared by the kernels: zero, copy, add. */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, get, i32, inc, set, v128, whileLoop } from "../instructions.ts";

export interface MemoryFunctions {
  /** zeroF32(dst, n) */
  readonly zero: FunctionBuilder;
  /** copyF32(dst, src, n) — the runs must not overlap. */
  readonly copy: FunctionBuilder;
  /** addF32(dst, src, n): dst += src. */
  readonly add: FunctionBuilder;
}

/** Runs `vector` on blocks of 4 floats while at least 4 remain, then `scalar` on the rest; `end` is the stop pointer of dst. */
export function vectorRun(dst: number, end: number, n: number, advance: Code[], vector: Code[], scalar: Code[], scalarAdvance: Code[]): Code {
  return [
    set(end, i32.add(get(dst), i32.shl(get(n), i32.const(2)))),
    whileLoop(i32.le_u(i32.add(get(dst), i32.const(16)), get(end)), vector, advance),
    whileLoop(i32.lt_u(get(dst), get(end)), scalar, scalarAdvance),
  ];
}

export function emitMemory(mod: ModuleBuilder): MemoryFunctions {
  const zero = defineFunction(mod, "zeroF32", { params: i32Params("dst", "n") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    return vectorRun(p.dst, end, p.n, [inc(p.dst, 16)], [v128.store(get(p.dst), f32x4.const(0))], [f32.store(get(p.dst), f32.const(0))], [inc(p.dst, 4)]);
  });
  const copy = defineFunction(mod, "copyF32", { params: i32Params("dst", "src", "n"), exported: false }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    return vectorRun(
      p.dst,
      end,
      p.n,
      [inc(p.dst, 16), inc(p.src, 16)],
      [v128.store(get(p.dst), v128.load(get(p.src)))],
      [f32.store(get(p.dst), f32.load(get(p.src)))],
      [inc(p.dst, 4), inc(p.src, 4)],
    );
  });
  const add = defineFunction(mod, "addF32", { params: i32Params("dst", "src", "n") }, (p, fn) => {
    const [end] = locals(fn, "i32", 1);
    return vectorRun(
      p.dst,
      end,
      p.n,
      [inc(p.dst, 16), inc(p.src, 16)],
      [v128.store(get(p.dst), f32x4.add(v128.load(get(p.dst)), v128.load(get(p.src))))],
      [f32.store(get(p.dst), f32.add(f32.load(get(p.dst)), f32.load(get(p.src))))],
      [inc(p.dst, 4), inc(p.src, 4)],
    );
  });
  return { zero, copy, add };
}
