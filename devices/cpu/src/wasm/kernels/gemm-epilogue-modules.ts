/**
 * The modules the cpu device generates for one GEMM epilogue program (gemm-epilogue.ts): the GEMM
 * with that program in its tile, and a driver — the forward conv's or the matmul's — exported as
 * `run`, the one export of a generated module (runtime/protocol.ts DYNAMIC_EXPORT); or the direct
 * depthwise conv, or the narrow GEMM of small 1x1 convs, with the program in its store.
 *
 * The driver's `ep` argument is the address of a descriptor the caller writes: per extra input k,
 * 12 bytes (address of its element for output element 0, byte stride per image — the conv's
 * batch; a matmul's batch offsets come in its table — and byte stride per row of C: an output
 * channel, a matmul row), then per output m its address minus C's (4 bytes).
 */
import type { Code, FunctionBuilder } from "../encoder.ts";
import { ModuleBuilder } from "../encoder.ts";
import { locals } from "../define.ts";
import { get, i32, set } from "../instructions.ts";
import { defineDepthwise } from "./conv-depthwise.ts";
import { defineGemmNarrow } from "./gemm-narrow.ts";
import { defineConvForward, emitUnfold } from "./conv.ts";
import { emitConvPack } from "./conv-pack.ts";
import { add, bytes, mul } from "./conv-record.ts";
import { EPILOGUE_CONTEXT_OFFSET, emitGemm } from "./gemm.ts";
import { CONTEXT, programEmitter, tileEpilogue, type GemmEpilogueSpec } from "./gemm-epilogue.ts";
import { emitMatmul } from "./matmul.ts";
import { emitMemory } from "./memory.ts";
import { fusedMathForms } from "../fused-math.ts";

const RUN = "run";

/** Bytes of the descriptor for `extras` extra inputs and `outputs` outputs. */
export const descriptorBytes = (extras: number, outputs: number): number => 12 * extras + 4 * outputs;

export interface EpilogueModuleOptions {
  readonly fma: boolean;
  readonly shared: boolean;
}

function newModule(options: EpilogueModuleOptions): ModuleBuilder {
  return new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared: options.shared });
}

/** Record fields every driver writes alike: C's row stride and each output's offset from C. */
function commonContext(ctx: Code, spec: GemmEpilogueSpec, ep: number, c: number, cRs: Code): Code {
  const E = spec.alongColumns.length;
  return [
    i32.store(ctx, get(c), CONTEXT.c),
    i32.store(ctx, cRs, CONTEXT.cRs),
    spec.outputs.map((_, m) => i32.store(ctx, i32.load(get(ep), descriptorBytes(E, m)), CONTEXT.outputDelta(E, m))),
  ];
}

const contextOf = (scratch: number): Code => i32.add(get(scratch), i32.const(EPILOGUE_CONTEXT_OFFSET));

/** run(geo, ep, chunk0, chunk1, scratch): conv2dForward (conv.ts) with the epilogue in its GEMM. */
export function convEpilogueModule(spec: GemmEpilogueSpec, options: EpilogueModuleOptions): Uint8Array<ArrayBuffer> {
  const mod = newModule(options);
  const math = fusedMathForms(mod, spec.steps);
  const gemm = emitGemm(mod, { fma: options.fma, epilogue: tileEpilogue(spec, math) });
  const memory = emitMemory(mod);
  defineConvForward(mod, RUN, gemm, emitUnfold(mod, memory), emitConvPack(mod, memory), {
    chunk: (_fn: FunctionBuilder, { g, ep, scratch, n, grp, p0, c }) => [
      commonContext(contextOf(scratch), spec, ep, c, bytes(get(g.P!))),
      spec.alongColumns.map((along, k) => {
        const desc = (field: number) => i32.load(get(ep), 12 * k + field);
        const base = add(desc(0), i32.mul(get(n), desc(4)), mul(get(grp), get(g.OCg!), desc(8)), ...(along ? [bytes(get(p0))] : []));
        return [i32.store(contextOf(scratch), base, CONTEXT.extraBase(k)), i32.store(contextOf(scratch), desc(8), CONTEXT.extraRowStride(k))];
      }),
    ],
  });
  return mod.encode();
}

/** run(M, N, K, a, aRs, aCs, b, bRs, bCs, c, table, mb, nb, gm, gn, ep, chunk0, chunk1, scratch): matmul (matmul.ts) with the epilogue in its GEMM. */
export function matmulEpilogueModule(spec: GemmEpilogueSpec, options: EpilogueModuleOptions): Uint8Array<ArrayBuffer> {
  const mod = newModule(options);
  const math = fusedMathForms(mod, spec.steps);
  const gemm = emitGemm(mod, { fma: options.fma, epilogue: tileEpilogue(spec, math) });
  emitMatmul(mod, gemm, RUN, {
    extras: spec.alongColumns.length,
    chunk: (_fn, { ep, scratch, entry, c, N }) => [
      commonContext(contextOf(scratch), spec, ep, c, bytes(get(N))),
      spec.alongColumns.map((_, k) => [
        i32.store(contextOf(scratch), i32.add(i32.load(get(ep), 12 * k), i32.load(get(entry), 8 + 4 * k)), CONTEXT.extraBase(k)),
        i32.store(contextOf(scratch), i32.load(get(ep), 12 * k + 8), CONTEXT.extraRowStride(k)),
      ]),
    ],
  });
  return mod.encode();
}

/** run(geo, ep, chunk0, chunk1, scratch): the direct depthwise conv (conv-depthwise.ts) finishing each output with the program. */
export function depthwiseEpilogueModule(spec: GemmEpilogueSpec, options: EpilogueModuleOptions): Uint8Array<ArrayBuffer> {
  const mod = newModule(options);
  const math = fusedMathForms(mod, spec.steps);
  const E = spec.alongColumns.length;
  defineDepthwise(mod, emitMemory(mod), options, RUN, (fn) => {
    const emit = programEmitter(fn, spec, math);
    // Per plane: a constant extra's address, or an advancing extra's (and each output's) offset from the conv's output.
    const ptr = locals(fn, "i32", E);
    const out = locals(fn, "i32", spec.outputs.length);
    return {
      plane: ({ ep, n, oc, outPlane }) => [
        emit.consts,
        spec.alongColumns.map((along, k) => {
          const desc = (field: number) => i32.load(get(ep), 12 * k + field);
          const base = add(desc(0), i32.mul(get(n), desc(4)), i32.mul(get(oc), desc(8)));
          return set(ptr[k]!, along ? i32.sub(base, get(outPlane)) : base);
        }),
        spec.outputs.map((_, m) => set(out[m]!, i32.load(get(ep), descriptorBytes(E, m)))),
      ],
      store: (value, dst, offset, vector) =>
        emit.run(
          vector,
          value,
          (k) => (spec.alongColumns[k] ? { addr: i32.add(get(dst), get(ptr[k]!)), offset } : { addr: get(ptr[k]!), offset: 0 }),
          (m) => ({ addr: i32.add(get(dst), get(out[m]!)), offset }),
        ),
    };
  });
  return mod.encode();
}

/** run(geo, ep, chunk0, chunk1, scratch): the narrow GEMM of small 1x1 convs (gemm-narrow.ts) finishing each output with the program. */
export function narrowEpilogueModule(spec: GemmEpilogueSpec, options: EpilogueModuleOptions): Uint8Array<ArrayBuffer> {
  const mod = newModule(options);
  const math = fusedMathForms(mod, spec.steps);
  const E = spec.alongColumns.length;
  defineGemmNarrow(mod, options, RUN, (fn) => {
    const emit = programEmitter(fn, spec, math);
    // Per chunk: each extra's address for row 0, column 0 of this image and group, and its row stride; each output's offset from C.
    const base = locals(fn, "i32", E);
    const rs = locals(fn, "i32", E);
    const out = locals(fn, "i32", spec.outputs.length);
    const [n, grp] = locals(fn, "i32", 2);
    return {
      chunk: ({ ep, img, g }) => [
        emit.consts,
        set(n, i32.div_u(get(img), get(g.groups!))),
        set(grp, i32.sub(get(img), i32.mul(get(n), get(g.groups!)))),
        spec.alongColumns.map((_, k) => {
          const desc = (field: number) => i32.load(get(ep), 12 * k + field);
          return [set(rs[k]!, desc(8)), set(base[k]!, add(desc(0), i32.mul(get(n), desc(4)), mul(get(grp), get(g.M!), get(rs[k]!))))];
        }),
        spec.outputs.map((_, m) => set(out[m]!, i32.load(get(ep), descriptorBytes(E, m)))),
      ],
      store: (value, { row, col, dst, offset }, vector) =>
        emit.run(
          vector,
          value,
          (k) => {
            const rowStart = i32.add(get(base[k]!), i32.mul(row, get(rs[k]!)));
            return spec.alongColumns[k] ? { addr: i32.add(rowStart, bytes(col)), offset } : { addr: rowStart, offset: 0 };
          },
          (m) => ({ addr: i32.add(get(dst), get(out[m]!)), offset }),
        ),
    };
  });
  return mod.encode();
}
