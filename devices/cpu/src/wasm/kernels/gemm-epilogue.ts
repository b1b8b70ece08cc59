/**
 * A GEMM epilogue applied in the micro-kernel: the tiles of the last K block run an elementwise
 * program (bias, activation, residual add, scale: a `fused` program over [product, extra
 * inputs...]) on their accumulators and store the program's outputs, so the product is never
 * written and read back by a second pass over the output.
 *
 * Every value is float32 in the program's inputs and outputs (bool only in between). Extra input k
 * is addressed like the product: row i, column j of the GEMM's C reads base_k + i·rs_k + j·4 when
 * it advances along the columns (a residual, a [N] bias of a matmul) or base_k + i·rs_k when it is
 * constant along them (a per-channel bias, a scalar); outputs have C's layout. The driver writes
 * those addresses for its current C into the participant's record (EPILOGUE_CONTEXT_OFFSET of its
 * scratch) before each GEMM call:
 *   0: address of C(0, 0)   4: C's row stride
 *   8 + 8k: base_k          12 + 8k: rs_k
 *   8 + 8E + 4m: output m's address minus C's (same layout)
 * Each step is the same single IEEE operation the `fused` kernel runs (fused.ts), on the same
 * product, so results equal the unfused product-then-program bit for bit.
 */
import type { FusedStep, TensorMeta } from "@polychip/hal";
import type { Code, FunctionBuilder } from "../encoder.ts";
import { locals } from "../define.ts";
import { choose, f32, f32x4, forRange, get, i32, ifElse, set, v128, when } from "../instructions.ts";
import { constInit, programForms } from "./fused.ts";
import type { MathForm } from "../fused-math.ts";
import { EPILOGUE_CONTEXT_BYTES, MR, NR, type TileEpilogue } from "./gemm.ts";

export interface GemmEpilogueSpec {
  readonly steps: readonly FusedStep[];
  /** Value index each output takes: 0 is the product, 1..E the extra inputs, then each step's result. */
  readonly outputs: readonly number[];
  /** Types of every value: the product and extra inputs (float32), then each step's. */
  readonly types: readonly TensorMeta[];
  /** Per extra input: whether it advances with C along the columns (else constant along them). */
  readonly alongColumns: readonly boolean[];
}

/** Byte offsets in the per-participant record. */
export const CONTEXT = {
  c: 0,
  cRs: 4,
  extraBase: (k: number) => 8 + 8 * k,
  extraRowStride: (k: number) => 12 + 8 * k,
  outputDelta: (extras: number, m: number) => 8 + 8 * extras + 4 * m,
};

/** Whether a program with this many extra inputs and outputs fits the record. */
export const contextFits = (extras: number, outputs: number): boolean => CONTEXT.outputDelta(extras, outputs) <= EPILOGUE_CONTEXT_BYTES;

/** Where one run of the program reads extra input k and writes output m: an address and a constant byte offset. */
type Place = (index: number) => { readonly addr: Code; readonly offset: number };

/** A program over one vector (4 outputs) or one scalar, in locals of `fn`: `consts` sets its consts, `run` the rest. */
export interface ProgramEmitter {
  readonly consts: Code;
  /** value 0 = `value`; extra k read at extra(k) (splatted where it is constant along the columns); output m stored at output(m). */
  readonly run: (vector: boolean, value: Code, extra: Place, output: Place) => Code;
}

/** `math`: the module's exp/sigmoid/tanh forms (fused-math.ts), declared before it is encoded. */
export function programEmitter(fn: FunctionBuilder, spec: GemmEpilogueSpec, math: Readonly<Record<string, MathForm>> = {}): ProgramEmitter {
  const { steps, outputs, types, alongColumns } = spec;
  const E = alongColumns.length;
  const forms = programForms(steps, types, math);
  const vec = locals(fn, "v128", types.length);
  const sca = types.map((m) => fn.local(m.dtype === "bool" ? "i32" : "f32"));
  const [vt] = locals(fn, "v128", 1);
  const [st] = locals(fn, "f32", 1);
  return {
    consts: steps.map((s, k) => constInit(s, vec[1 + E + k]!, sca[1 + E + k]!)),
    run: (vector, value, extra, output) => {
      const values = vector ? vec : sca;
      return [
        set(values[0]!, value),
        alongColumns.map((along, k) => {
          const { addr, offset } = extra(k);
          if (!vector) return set(sca[1 + k]!, f32.load(addr, offset));
          return set(vec[1 + k]!, along ? v128.load(addr, offset) : v128.load32Splat(addr, offset));
        }),
        steps.map((s, k) => {
          const form = forms[k];
          if (!form) return [];
          const args = s.args.map((a) => get(values[a]!));
          return set(values[1 + E + k]!, vector ? form.v(args, vt) : form.s(args, st));
        }),
        outputs.map((o, m) => {
          const { addr, offset } = output(m);
          return vector ? v128.store(addr, get(vec[o]!), offset) : f32.store(addr, get(sca[o]!), offset);
        }),
      ];
    },
  };
}

/** The tile epilogue for `spec` (see gemm.ts emitTile). */
export function tileEpilogue(spec: GemmEpilogueSpec, math: Readonly<Record<string, MathForm>> = {}): TileEpilogue {
  const { outputs, alongColumns } = spec;
  const E = alongColumns.length;
  return (fn: FunctionBuilder, t) => {
    const emit = programEmitter(fn, spec, math);
    const [ctx, off, i, j, r, jj] = locals(fn, "i32", 6);
    const ptr = locals(fn, "i32", E);
    const rs = locals(fn, "i32", E);
    const out = locals(fn, "i32", outputs.length);
    const rowOf = (base: Code, stride: Code, row: number): Code => (row === 0 ? base : i32.add(base, i32.mul(stride, i32.const(row))));
    const readC = i32.and(get(t.beta), i32.const(1));

    return [
      set(ctx, i32.add(get(t.tmp), i32.const(MR * NR * 4))),
      // This tile's row and column in C, from its address.
      set(off, i32.sub(get(t.c), i32.load(get(ctx), CONTEXT.c))),
      set(i, i32.div_u(get(off), get(t.cRs))),
      set(j, i32.sub(get(off), i32.mul(get(i), get(t.cRs)))), // in bytes
      alongColumns.map((along, k) => [
        set(rs[k]!, i32.load(get(ctx), CONTEXT.extraRowStride(k))),
        set(ptr[k]!, i32.add(i32.load(get(ctx), CONTEXT.extraBase(k)), i32.mul(get(i), get(rs[k]!)))),
        along ? set(ptr[k]!, i32.add(get(ptr[k]!), get(j))) : [],
      ]),
      outputs.map((_, m) => set(out[m]!, i32.add(get(t.c), i32.load(get(ctx), CONTEXT.outputDelta(E, m))))),
      emit.consts,
      ifElse(
        i32.and(i32.eq(get(t.rows), i32.const(MR)), i32.eq(get(t.cols), i32.const(NR))),
        [
          // As the plain tile: C's partial sums of the earlier K blocks added to the accumulators.
          when(
            readC,
            Array.from({ length: MR }, (_, row) =>
              [0, 1].map((half) => {
                const a = t.acc[2 * row + half]!;
                return set(a, f32x4.add(get(a), v128.load(rowOf(get(t.c), get(t.cRs), row), half * 16)));
              }),
            ),
          ),
          Array.from({ length: MR }, (_, row) =>
            [0, 1].map((half) =>
              emit.run(
                true,
                get(t.acc[2 * row + half]!),
                (k) => ({ addr: rowOf(get(ptr[k]!), get(rs[k]!), row), offset: alongColumns[k] ? half * 16 : 0 }),
                (m) => ({ addr: rowOf(get(out[m]!), get(t.cRs), row), offset: half * 16 }),
              ),
            ),
          ),
        ],
        [
          // Edge tile: spill, then element by element (the plain tile's sum, +0 included, so values match it).
          t.acc.map((v, n) => v128.store(get(t.tmp), get(v), n * 16)),
          forRange(
            r,
            i32.const(0),
            get(t.rows),
            1,
            forRange(
              jj,
              i32.const(0),
              get(t.cols),
              1,
              emit.run(
                false,
                f32.add(
                  f32.load(i32.add(get(t.tmp), i32.add(i32.shl(get(r), i32.const(5)), i32.shl(get(jj), i32.const(2))))),
                  choose("f32", readC, f32.load(i32.add(i32.add(get(t.c), i32.mul(get(r), get(t.cRs))), i32.shl(get(jj), i32.const(2)))), f32.const(0)),
                ),
                (k) => {
                  const row = i32.add(get(ptr[k]!), i32.mul(get(rs[k]!), get(r)));
                  return { addr: alongColumns[k] ? i32.add(row, i32.shl(get(jj), i32.const(2))) : row, offset: 0 };
                },
                (m) => ({ addr: i32.add(i32.add(get(out[m]!), i32.mul(get(t.cRs), get(r))), i32.shl(get(jj), i32.const(2))), offset: 0 }),
              ),
            ),
          ),
        ],
      ),
    ];
  };
}
