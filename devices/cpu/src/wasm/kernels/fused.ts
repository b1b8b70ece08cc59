/**
 * A WebAssembly module for one float32 `fused` program whose ops are single IEEE operations
 * (add, sub, mul, div, maximum, minimum, neg, abs, sqrt, reciprocal, floor, ceil, round, relu,
 * const): each step is one correctly rounded f32 operation, so the result equals the reference
 * (float64 then rounded) bit for bit. Inputs are contiguous with the output or single elements
 * (splat once); the loop does four outputs per step with a scalar tail.
 *
 * Exported `fused(in0, ..., inN-1, out0, ..., outM-1, n)`: byte addresses and the element count.
 */
import type { FusedProgram } from "@polychip/hal";
import { ModuleBuilder, type Code } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { f32, f32x4, get, i32, inc, set, v128, whileLoop } from "../instructions.ts";
import { BINARY_OPS, UNARY_OPS } from "./elementwise.ts";

/** The ops a program may use to run in WASM (all of them on float32 values). */
export const WASM_FUSED_OPS: ReadonlySet<string> = new Set([...Object.keys(BINARY_OPS), ...Object.keys(UNARY_OPS), "const"]);

export function fusedModuleBytes(program: FusedProgram, scalar: readonly boolean[], shared: boolean): Uint8Array<ArrayBuffer> {
  const { steps, outputs } = program;
  const N = scalar.length;
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared });
  const names = [...scalar.map((_, k) => `in${k}`), ...outputs.map((_, m) => `out${m}`), "n"];
  defineFunction(mod, "fused", { params: i32Params(...names) }, (p, fn) => {
    const param = (name: string) => (p as Record<string, number>)[name]!;
    const vec = locals(fn, "v128", N + steps.length);
    const sca = locals(fn, "f32", N + steps.length);
    const [vt] = locals(fn, "v128", 1) as [number];
    const [st] = locals(fn, "f32", 1) as [number];
    const [at, end] = locals(fn, "i32", 2) as [number, number];
    const addr = (name: string) => i32.add(get(param(name)), get(at));

    const stepCode = (vector: boolean): Code[] =>
      steps.map((s, k) => {
        const out = (vector ? vec : sca)[N + k]!;
        const args = s.args.map((a) => get((vector ? vec : sca)[a]!));
        if (s.op === "const") return []; // set once before the loops
        const binary = BINARY_OPS[s.op];
        if (binary) return set(out, (vector ? binary.v : binary.s)(args[0]!, args[1]!));
        const unary = UNARY_OPS[s.op]!;
        return set(out, (vector ? unary.v : unary.s)(args[0]!, vector ? vt : st));
      });
    const loads = (vector: boolean): Code[] =>
      scalar.map((isScalar, k) => (isScalar ? [] : set((vector ? vec : sca)[k]!, vector ? v128.load(addr(`in${k}`)) : f32.load(addr(`in${k}`)))));
    const stores = (vector: boolean): Code[] =>
      outputs.map((o, m) => (vector ? v128.store(addr(`out${m}`), get(vec[o]!)) : f32.store(addr(`out${m}`), get(sca[o]!))));

    return [
      // Single-element inputs and constants: loaded or built once.
      ...scalar.map((isScalar, k) => (isScalar ? [set(vec[k]!, v128.load32Splat(get(param(`in${k}`)))), set(sca[k]!, f32.load(get(param(`in${k}`))))] : [])),
      ...steps.map((s, k) => (s.op === "const" ? [set(vec[N + k]!, f32x4.const(s.value!)), set(sca[N + k]!, f32.const(s.value!))] : [])),
      set(end, i32.shl(get(param("n")), i32.const(2))),
      set(at, i32.const(0)),
      whileLoop(i32.le_u(i32.add(get(at), i32.const(16)), get(end)), ...loads(true), ...stepCode(true), ...stores(true), inc(at, 16)),
      whileLoop(i32.lt_u(get(at), get(end)), ...loads(false), ...stepCode(false), ...stores(false), inc(at, 4)),
    ];
  });
  return mod.encode();
}
