/**
 * The matmul driver: one parallel chunk is one (batch, row block, column block) of the output.
 * Batch offsets come from a table of (aOffset, bOffset) byte pairs, so any batch strides —
 * broadcast (0) included — work without copying.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, forRange, get, i32, minS, set } from "../instructions.ts";
import type { GemmFunctions } from "./gemm.ts";

const min = (a: number, b: number) => minS(get(a), get(b));

/**
 * With a GEMM epilogue (`g` emitted with its tile epilogue), the kernel takes an `ep` argument
 * before chunk0, each batch's table entry also holds one byte offset per extra input after the
 * (aOffset, bOffset) pair, and `chunk` writes the epilogue's record for C = batch `batch`.
 */
export interface MatmulEpilogue {
  readonly extras: number;
  readonly chunk: (
    fn: FunctionBuilder,
    at: { readonly ep: number; readonly scratch: number; readonly entry: number; readonly c: number; readonly N: number },
  ) => Code;
}

/** Bytes of one batch's entry of the offsets table: a and b, then each extra input of an epilogue. */
export const matmulTableEntryBytes = (extras: number): number => 8 + 4 * extras;

export function emitMatmul(mod: ModuleBuilder, g: GemmFunctions, name = "matmul", epilogue?: MatmulEpilogue): FunctionBuilder {
  const head = ["M", "N", "K", "a", "aRs", "aCs", "b", "bRs", "bCs", "c", "table", "mb", "nb", "gm", "gn"] as const;
  const params = i32Params(...head, ...(epilogue ? (["ep"] as const) : []), "chunk0", "chunk1", "scratch");
  return defineFunction(mod, name, { params }, (named, fn) => {
    const p = named as Record<(typeof head)[number] | "ep" | "chunk0" | "chunk1" | "scratch", number>;
    const [ch, per, batch, rem, mi, ni, i0, i1, j0, j1, entry, end, c] = locals(fn, "i32", 13);
    return [
      set(per, i32.mul(get(p.gm), get(p.gn))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        set(batch, i32.div_u(get(ch), get(per))),
        set(rem, i32.sub(get(ch), i32.mul(get(batch), get(per)))),
        set(mi, i32.div_u(get(rem), get(p.gn))),
        set(ni, i32.sub(get(rem), i32.mul(get(mi), get(p.gn)))),
        set(i0, i32.mul(get(mi), get(p.mb))),
        set(end, i32.add(get(i0), get(p.mb))),
        set(i1, min(p.M, end)),
        set(j0, i32.mul(get(ni), get(p.nb))),
        set(end, i32.add(get(j0), get(p.nb))),
        set(j1, min(p.N, end)),
        set(entry, i32.add(get(p.table), i32.mul(get(batch), i32.const(matmulTableEntryBytes(epilogue?.extras ?? 0))))),
        set(c, i32.add(get(p.c), i32.shl(i32.mul(i32.mul(get(batch), get(p.M)), get(p.N)), i32.const(2)))),
        epilogue ? epilogue.chunk(fn, { ep: p.ep, scratch: p.scratch, entry, c, N: p.N }) : [],
        call(
          g.gemm,
          get(p.K),
          i32.add(get(p.a), i32.load(get(entry))),
          get(p.aRs),
          get(p.aCs),
          i32.add(get(p.b), i32.load(get(entry), 4)),
          get(p.bRs),
          get(p.bCs),
          get(c),
          i32.shl(get(p.N), i32.const(2)),
          i32.const(0),
          i32.const(0),
          get(i0),
          get(i1),
          get(j0),
          get(j1),
          get(p.scratch),
        ),
      ),
    ];
  });
}
