/**
 * im2col fused into the GEMM's packing (forward conv): the B operand, cols [R, P] (row r = input
 * channel and tap, column p = output position), is packed into the GEMM's NR-column panels straight
 * from the input instead of being unfolded into a cols matrix and packed from there. That matrix is
 * KH·KW times the input; writing and reading it back cost about a quarter of a training step's
 * convolution time.
 *
 * Per chunk the input rows it reads are first copied into a zero-bordered scratch (`padInput`), so
 * that no read needs a bounds check, and a table gives each cols row's offset in that scratch
 * (channel, tap row, tap column). A group of four output positions on one output row then reads
 * four adjacent (stride 1) or every-other (stride 2) floats at the same place relative to each
 * row's offset: the packer's inner loop is one table load, one vector load and one store per row.
 *
 * Panel layout (gemm.ts's packB): element (k, j) of a kc x nc block goes to
 * dst + (j / NR)·kc·NR·4 + k·NR·4 + (j % NR)·4; columns past nc up to the panel's end are zero.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, choose, f32, forRange, get, i32, ifElse, inc, maxS, minS, set, v128, whileLoop } from "../instructions.ts";
import { add, bytes, CONV } from "./conv-record.ts";
import { strideInputs } from "./conv-depthwise.ts";
import { NR, transpose4 } from "./gemm.ts";
import type { MemoryFunctions } from "./memory.ts";

/** Width of the padded scratch rows: every column a window or a group's vector load reads. */
export const paddedWidth = (g: { OW: number; sw: number; KW: number; dw: number }): number => g.OW * g.sw + (g.KW - 1) * g.dw;

/** Padded scratch rows a chunk of `outRows` output rows reads. */
export const paddedRows = (g: { sh: number; KH: number; dh: number }, outRows: number): number => (outRows - 1) * g.sh + (g.KH - 1) * g.dh + 1;

/** Floats past the padded scratch that a group's last vector load may touch. */
export const PADDED_SLACK = 16;

export interface ConvPackFunctions {
  /** padInput(geo, image, oh0, oh1, padded, table): the padded rows of output rows [oh0, oh1) and the row-offset table. */
  readonly padInput: FunctionBuilder;
  /** packConvB(geo, padded, table, k0, kc, p0, nc, dst): cols rows [k0, k0 + kc) x chunk columns [p0, p0 + nc), packed. */
  readonly packConvB: FunctionBuilder;
  /** packConvBT(geo, padded, table, k0, kc, j0, nc, dst): positions [k0, k0 + kc) x cols rows [j0, j0 + nc) of colsᵀ, packed. */
  readonly packConvBT: FunctionBuilder;
}

function emitPadInput(mod: ModuleBuilder, m: MemoryFunctions): FunctionBuilder {
  const params = i32Params("geo", "image", "oh0", "oh1", "padded", "table");
  return defineFunction(mod, "padConvInput", { params, exported: false }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [PW, PH, plane, ih0, row0, row1, cols, col0, c, row, r, taps, kk, at] = locals(fn, "i32", 14);
    return [
      code,
      set(PW, i32.add(i32.mul(get(g.OW), get(g.sw)), i32.mul(i32.sub(get(g.KW), i32.const(1)), get(g.dw)))),
      set(
        PH,
        i32.add(
          i32.mul(i32.sub(i32.sub(get(p.oh1), get(p.oh0)), i32.const(1)), get(g.sh)),
          i32.add(i32.mul(i32.sub(get(g.KH), i32.const(1)), get(g.dh)), i32.const(1)),
        ),
      ),
      set(plane, i32.mul(get(PH), get(PW))),
      // Padded row 0 is input row ih0; input rows [row0, row1) land inside.
      set(ih0, i32.sub(i32.mul(get(p.oh0), get(g.sh)), get(g.pt))),
      set(row0, maxS(get(ih0), i32.const(0))),
      set(row1, minS(get(g.H), i32.add(get(ih0), get(PH)))),
      // Padded column q reads input column q - pl; a column block's record may move pl below 0.
      set(col0, maxS(i32.sub(i32.const(0), get(g.pl)), i32.const(0))),
      set(cols, i32.sub(minS(get(g.W), i32.sub(get(PW), get(g.pl))), get(col0))),
      call(m.zero, get(p.padded), i32.add(i32.mul(get(g.Cg), get(plane)), i32.const(PADDED_SLACK))),
      ifElse(
        i32.gt_s(get(cols), i32.const(0)),
        [
          forRange(
            c,
            i32.const(0),
            get(g.Cg),
            1,
            forRange(
              row,
              get(row0),
              get(row1),
              1,
              call(
                m.copy,
                add(get(p.padded), bytes(add(i32.mul(get(c), get(plane)), i32.mul(i32.sub(get(row), get(ih0)), get(PW)), get(g.pl), get(col0)))),
                add(get(p.image), bytes(add(i32.mul(i32.add(i32.mul(get(c), get(g.H)), get(row)), get(g.W)), get(col0)))),
                get(cols),
              ),
            ),
          ),
        ],
        [],
      ),
      // table[r] = byte offset of cols row r's window origin (channel c, tap ki, kj) in the scratch.
      set(taps, i32.mul(get(g.KH), get(g.KW))),
      set(at, get(p.table)),
      forRange(
        c,
        i32.const(0),
        get(g.Cg),
        1,
        forRange(
          kk,
          i32.const(0),
          get(taps),
          1,
          set(r, i32.div_u(get(kk), get(g.KW))),
          i32.store(
            get(at),
            bytes(
              add(i32.mul(get(c), get(plane)), i32.mul(i32.mul(get(r), get(g.dh)), get(PW)), i32.mul(i32.sub(get(kk), i32.mul(get(r), get(g.KW))), get(g.dw))),
            ),
          ),
          inc(at, 4),
        ),
      ),
    ];
  });
}

function emitPackConvB(mod: ModuleBuilder): FunctionBuilder {
  const params = i32Params("geo", "padded", "table", "k0", "kc", "p0", "nc", "dst");
  return defineFunction(mod, "packConvB", { params, exported: false }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [rowStep, colStep, panelBytes, t0, tEnd, t, j, half, q, oh, ow, d, base, lanes, o1, o2, o3, src] = locals(fn, "i32", 18);
    /** The stride-1 and stride-2 versions of a loop, chosen once outside it. */
    const byStride = (loop: (stride: 1 | 2) => Code): Code => ifElse(i32.eq(get(g.sw), i32.const(1)), [loop(1)], [loop(2)]);
    /** Runs `body` once per cols row of the block: `src` is the row's window origin plus `base`, `d` its destination. */
    const rows = (...body: Code[]): Code => [
      set(t, get(t0)),
      whileLoop(i32.lt_u(get(t), get(tEnd)), set(src, i32.add(get(base), i32.load(get(t)))), body, inc(t, 4), inc(d, NR * 4)),
    ];
    /** Position q of the chunk as (oh, ow), and base = its offset in the scratch. */
    const locate = (): Code => [
      set(oh, i32.div_u(get(q), get(g.OW))),
      set(ow, i32.sub(get(q), i32.mul(get(oh), get(g.OW)))),
      set(base, add(get(p.padded), i32.mul(get(oh), get(rowStep)), i32.mul(get(ow), get(colStep)))),
    ];
    /** Offset of lane l (position q + l) from `base`; lanes past nc repeat lane 0. */
    const laneOffset = (l: number, target: number): Code => [
      set(target, i32.const(0)),
      ifElse(
        i32.gt_s(get(lanes), i32.const(l)),
        [
          set(oh, i32.div_u(i32.add(get(q), i32.const(l)), get(g.OW))),
          set(ow, i32.sub(i32.add(get(q), i32.const(l)), i32.mul(get(oh), get(g.OW)))),
          set(target, i32.sub(add(get(p.padded), i32.mul(get(oh), get(rowStep)), i32.mul(get(ow), get(colStep))), get(base))),
        ],
        [],
      ),
    ];
    /** Four columns at d: one vector load per row where they share an output row (stride 1 or 2), else lane by lane. */
    const quad = (): Code => [
      locate(),
      set(lanes, minS(i32.sub(get(p.nc), i32.sub(get(q), get(p.p0))), i32.const(4))),
      ifElse(
        i32.and(i32.and(i32.eq(get(lanes), i32.const(4)), i32.le_s(i32.add(get(ow), i32.const(4)), get(g.OW))), i32.le_u(get(g.sw), i32.const(2))),
        [byStride((stride) => rows(v128.store(get(d), strideInputs(get(src), 0, stride))))],
        [
          laneOffset(1, o1),
          laneOffset(2, o2),
          laneOffset(3, o3),
          rows(
            f32.store(get(d), f32.load(get(src))),
            f32.store(get(d), f32.load(i32.add(get(src), get(o1))), 4),
            f32.store(get(d), f32.load(i32.add(get(src), get(o2))), 8),
            f32.store(get(d), f32.load(i32.add(get(src), get(o3))), 12),
          ),
        ],
      ),
    ];
    return [
      code,
      set(rowStep, bytes(i32.mul(get(g.sh), i32.add(i32.mul(get(g.OW), get(g.sw)), i32.mul(i32.sub(get(g.KW), i32.const(1)), get(g.dw)))))),
      set(colStep, bytes(get(g.sw))),
      set(panelBytes, i32.mul(get(p.kc), i32.const(NR * 4))),
      set(t0, add(get(p.table), bytes(get(p.k0)))),
      set(tEnd, add(get(t0), bytes(get(p.kc)))),
      forRange(
        j,
        i32.const(0),
        get(p.nc),
        NR,
        set(q, i32.add(get(p.p0), get(j))),
        set(d, add(get(p.dst), i32.mul(i32.shr_u(get(j), i32.const(3)), get(panelBytes)))),
        locate(),
        ifElse(
          // A whole panel on one output row (stride 1 or 2): eight columns per row of the block.
          i32.and(
            i32.and(i32.le_s(i32.add(get(j), i32.const(NR)), get(p.nc)), i32.le_s(i32.add(get(ow), i32.const(NR)), get(g.OW))),
            i32.le_u(get(g.sw), i32.const(2)),
          ),
          [
            byStride((stride) =>
              rows(v128.store(get(d), strideInputs(get(src), 0, stride)), v128.store(get(d), strideInputs(get(src), 16 * stride, stride), 16)),
            ),
          ],
          [
            forRange(
              half,
              i32.const(0),
              i32.const(2),
              1,
              set(q, add(get(p.p0), get(j), i32.shl(get(half), i32.const(2)))),
              set(d, add(get(p.dst), i32.mul(i32.shr_u(get(j), i32.const(3)), get(panelBytes)), i32.shl(get(half), i32.const(4)))),
              ifElse(
                i32.lt_s(i32.sub(get(q), get(p.p0)), get(p.nc)),
                [quad()],
                // Past nc: zero columns (the micro-kernel reads whole panels).
                [set(t, get(t0)), whileLoop(i32.lt_u(get(t), get(tEnd)), v128.store(get(d), v128.const(new Array(16).fill(0))), inc(t, 4), inc(d, NR * 4))],
              ),
            ),
          ],
        ),
      ),
    ];
  });
}

/**
 * packConvBT(geo, padded, table, k0, kc, j0, nc, dst): the weight gradient's B = colsᵀ — rows are
 * output positions [k0, k0 + kc), columns cols rows [j0, j0 + nc) — packed into panels. Four
 * positions on one output row (stride 1 or 2) of four cols rows are four vector loads and a 4x4
 * transpose; a group of positions that crosses an output row goes one position at a time.
 * Columns past nc repeat the block's first column: finite values in columns the GEMM never writes.
 */
function emitPackConvBT(mod: ModuleBuilder): FunctionBuilder {
  const params = i32Params("geo", "padded", "table", "k0", "kc", "j0", "nc", "dst");
  return defineFunction(mod, "packConvBT", { params, exported: false }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [rowStep, colStep, panelBytes, j, half, d, pos, end, oh, ow, base, rowEnd] = locals(fn, "i32", 12);
    const origin = locals(fn, "i32", 4);
    const rowsV = locals(fn, "v128", 4);
    /** Four positions at a time while they stay on the row: a 4x4 transpose of the four columns' inputs. */
    const quads = (stride: 1 | 2): Code =>
      whileLoop(
        i32.le_s(i32.add(get(pos), i32.const(4)), get(rowEnd)),
        origin.map((o, l) => set(rowsV[l]!, strideInputs(i32.add(get(o), get(base)), 0, stride))),
        transpose4(rowsV).map((v, k) => v128.store(get(d), v, k * NR * 4)),
        inc(base, 16 * stride),
        inc(d, 4 * NR * 4),
        inc(pos, 4),
      );
    return [
      code,
      set(rowStep, bytes(i32.mul(get(g.sh), i32.add(i32.mul(get(g.OW), get(g.sw)), i32.mul(i32.sub(get(g.KW), i32.const(1)), get(g.dw)))))),
      set(colStep, bytes(get(g.sw))),
      set(panelBytes, i32.mul(get(p.kc), i32.const(NR * 4))),
      set(end, i32.add(get(p.k0), get(p.kc))),
      forRange(
        j,
        i32.const(0),
        get(p.nc),
        NR,
        forRange(
          half,
          i32.const(0),
          i32.const(2),
          1,
          // The four columns' window origins in the padded input.
          origin.map((o, l) =>
            set(
              o,
              add(
                get(p.padded),
                i32.load(
                  add(
                    get(p.table),
                    bytes(get(p.j0)),
                    bytes(
                      choose(
                        "i32",
                        i32.lt_s(add(get(j), i32.shl(get(half), i32.const(2)), i32.const(l)), get(p.nc)),
                        add(get(j), i32.shl(get(half), i32.const(2)), i32.const(l)),
                        i32.const(0),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
          set(d, add(get(p.dst), i32.mul(i32.shr_u(get(j), i32.const(3)), get(panelBytes)), i32.shl(get(half), i32.const(4)))),
          set(pos, get(p.k0)),
          set(oh, i32.div_u(get(pos), get(g.OW))),
          set(ow, i32.sub(get(pos), i32.mul(get(oh), get(g.OW)))),
          // One output row (the part of it in the block) per pass.
          whileLoop(
            i32.lt_s(get(pos), get(end)),
            set(rowEnd, minS(get(end), i32.add(get(pos), i32.sub(get(g.OW), get(ow))))),
            set(base, i32.add(i32.mul(get(oh), get(rowStep)), i32.mul(get(ow), get(colStep)))),
            ifElse(i32.eq(get(g.sw), i32.const(1)), [quads(1)], [ifElse(i32.eq(get(g.sw), i32.const(2)), [quads(2)], [])]),
            whileLoop(
              i32.lt_s(get(pos), get(rowEnd)),
              origin.map((o, l) => f32.store(get(d), f32.load(i32.add(get(o), get(base))), l * 4)),
              inc(base, get(colStep)),
              inc(d, NR * 4),
              inc(pos, 1),
            ),
            inc(oh, 1),
            set(ow, i32.const(0)),
          ),
        ),
      ),
    ];
  });
}

export function emitConvPack(mod: ModuleBuilder, m: MemoryFunctions): ConvPackFunctions {
  return { padInput: emitPadInput(mod, m), packConvB: emitPackConvB(mod), packConvBT: emitPackConvBT(mod) };
}
