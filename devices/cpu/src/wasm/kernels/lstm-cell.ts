/**
 * lstmCell(H, pre, c, h, tmp): one LSTM step's gates with ONNX's default activations (sigmoid,
 * tanh, tanh), no peepholes, clip or coupled input gate, in float64 like the reference loop:
 *   i = σ(pre_i), o = σ(pre_o), f = σ(pre_f), g = tanh(pre_c)
 *   c' = f·c + i·g,  h = o·tanh(c')
 * `pre` holds the four gates' pre-activations [4, H] (ONNX order i, o, f, c), `c` the cell state
 * [H] (updated in place), `h` receives [H]; all float64. H must be even (two units per vector);
 * `tmp` is 96 bytes of scratch for the exponentials. σ(x) = 1 / (1 + e^-x) as the reference
 * writes it, tanh(x) = 2 / (1 + e^-2x) - 1; e^x by math.ts's exp64x4 (within a few float64 ulps).
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, f64, f64x2, forRange, get, i32, set, v128 } from "../instructions.ts";
import type { MathFunctions } from "./math.ts";

export function emitLstmCell(mod: ModuleBuilder, math: MathFunctions): FunctionBuilder {
  return defineFunction(mod, "lstmCell", { params: i32Params("H", "pre", "c", "h", "tmp") }, (p, fn) => {
    const [jb, gate] = locals(fn, "i32", 2);
    const [input, output, forget, cell] = locals(fn, "v128", 4);
    const splat = (v: number): Code => f64x2.splat(f64.const(v));
    const sigmoidOf = (e: Code): Code => f64x2.div(splat(1), f64x2.add(splat(1), e));
    const tanhOf = (e2: Code): Code => f64x2.sub(f64x2.div(splat(2), f64x2.add(splat(1), e2)), splat(1));
    // Gate k's two pre-activations at this step of j.
    const preOf = (k: number): Code => v128.load(i32.add(i32.add(get(p.pre), get(jb)), i32.mul(get(gate), i32.const(k))));
    const tmpAt = (offset: number): Code => v128.load(get(p.tmp), offset);
    return [
      // Bytes from one gate's rows to the next's, and the end of j.
      set(gate, i32.shl(get(p.H), i32.const(3))),
      forRange(
        jb,
        i32.const(0),
        get(gate),
        16,
        // e^-i, e^-o into tmp[0..32); e^-f, e^-2g into tmp[32..64).
        call(math.exp4, f64x2.mul(preOf(0), splat(-1)), f64x2.mul(preOf(1), splat(-1)), get(p.tmp)),
        call(math.exp4, f64x2.mul(preOf(2), splat(-1)), f64x2.mul(preOf(3), splat(-2)), i32.add(get(p.tmp), i32.const(32))),
        set(input, sigmoidOf(tmpAt(0))),
        set(output, sigmoidOf(tmpAt(16))),
        set(forget, sigmoidOf(tmpAt(32))),
        set(cell, f64x2.add(f64x2.mul(get(forget), v128.load(i32.add(get(p.c), get(jb)))), f64x2.mul(get(input), tanhOf(tmpAt(48))))),
        v128.store(i32.add(get(p.c), get(jb)), get(cell)),
        call(math.exp4, f64x2.mul(get(cell), splat(-2)), get(cell), i32.add(get(p.tmp), i32.const(64))),
        v128.store(i32.add(get(p.h), get(jb)), f64x2.mul(get(output), tanhOf(tmpAt(64)))),
      ),
    ];
  });
}
