/**
 * conv2d (NCHW) and both its gradients as im2col / col2im around the GEMM, per image and group:
 *   forward     y_n,g [OCg, P]   = w_g [OCg, R] · cols_n,g [R, P]            (+ bias)
 *   gradInput   dcols [R, P]     = w_gᵀ [R, OCg] · gradOut_n,g [OCg, P]      then col2im into dx
 *   gradWeight  dw_g [OCg, R]   += gradOut_n,g [OCg, P] · cols_n,gᵀ [P, R]   over the batch
 * with R = Cg·KH·KW rows (channel, tap) and P = OH·OW output positions. A 1x1, stride-1, unpadded
 * convolution skips the unfolding: the image already is the cols matrix. Where the record's
 * packFromInput is set, forward and gradWeight never build cols either: the GEMM packs its panels
 * from a zero-bordered copy of the input (conv-pack.ts).
 *
 * Each kernel is a parallel job over independent chunks: forward over (image, group, block of
 * output rows); gradInput over (image, group, block of input channels) — a channel's dx rows come
 * only from its own cols rows, so chunks never write the same element; a chunk builds dcols for
 * blockB output rows at a time and scatters it before the next; gradWeight over (group,
 * block of R, block of images), where image blocks after the first write partial sums that the
 * caller adds up.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, choose, f32, f32x4, forRange, get, i32, ifElse, inc, minS, set, v128, whileLoop } from "../instructions.ts";
import { add, bytes, CHUNK_RECORD_BYTES, colsRow, CONV, COLS_OFFSET, decodeChunk, mul } from "./conv-record.ts";
import { emitConvPack, type ConvPackFunctions } from "./conv-pack.ts";
import { gemmLoops, type GemmFunctions } from "./gemm.ts";
import type { MemoryFunctions } from "./memory.ts";

export { CHUNK_RECORD_BYTES, CONV, COLS_OFFSET } from "./conv-record.ts";

const min = minS;

/**
 * The shared loop of im2col and col2im: for rows r in [r0, r1) and output rows oh in [oh0, oh1),
 * `inside(ihRow, lo, hi)` handles a row that falls in the image (`ihRow` = address of the image row
 * shifted so that column ow reads ihRow + ow·sw·4, valid for ow in [lo, hi)) and `outside()` one
 * in the padding. `cursor` advances by OW floats per (r, oh).
 */
function unfoldLoop(
  fn: FunctionBuilder,
  g: Readonly<Record<string, number>>,
  base: number,
  r0: Code,
  r1: Code,
  oh0: Code,
  oh1: Code,
  cursor: number,
  inside: (row: number, lo: number, hi: number) => Code,
  outside: () => Code,
): Code {
  const [r, kk, oh, ih, plane, row] = locals(fn, "i32", 6);
  const { code: decode, c, ki, off, lo, hi } = colsRow(fn, g, r, kk);
  return [
    set(kk, i32.mul(get(g.KH!), get(g.KW!))),
    set(plane, bytes(i32.mul(get(g.H!), get(g.W!)))),
    forRange(
      r,
      r0,
      r1,
      1,
      decode,
      forRange(
        oh,
        oh0,
        oh1,
        1,
        set(ih, add(i32.mul(get(oh), get(g.sh!)), i32.sub(i32.mul(get(ki), get(g.dh!)), get(g.pt!)))),
        ifElse(
          i32.lt_u(get(ih), get(g.H!)),
          [set(row, add(get(base), i32.mul(get(c), get(plane)), bytes(add(i32.mul(get(ih), get(g.W!)), get(off))))), inside(row, lo, hi)],
          [outside()],
        ),
        inc(cursor, bytes(get(g.OW!))),
      ),
    ),
  ];
}

export interface ConvFunctions {
  readonly im2col: FunctionBuilder;
  readonly col2im: FunctionBuilder;
}

export function emitUnfold(mod: ModuleBuilder, m: MemoryFunctions): ConvFunctions {
  /** im2col(geo, image, r0, r1, oh0, oh1, cols): rows [r0, r1) x output rows [oh0, oh1) of the unfolded image, row-major. */
  const im2col = defineFunction(mod, "im2col", { params: i32Params("geo", "image", "r0", "r1", "oh0", "oh1", "cols"), exported: false }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [src, dst, end] = locals(fn, "i32", 3);
    // Rows are short (an output row, often 7-56 floats): the copies are inline loops, not calls.
    const zeroTo = (stop: Code): Code => [set(end, stop), whileLoop(i32.lt_u(get(dst), get(end)), f32.store(get(dst), f32.const(0)), inc(dst, 4))];
    return [
      code,
      unfoldLoop(
        fn,
        g,
        p.image,
        get(p.r0),
        get(p.r1),
        get(p.oh0),
        get(p.oh1),
        p.cols,
        (row, lo, hi) => [
          set(dst, get(p.cols)),
          zeroTo(add(get(p.cols), bytes(get(lo)))),
          set(src, add(get(row), bytes(i32.mul(get(lo), get(g.sw))))),
          set(end, add(get(p.cols), bytes(get(hi)))),
          ifElse(
            i32.eq(get(g.sw), i32.const(1)),
            [
              whileLoop(i32.le_u(i32.add(get(dst), i32.const(16)), get(end)), v128.store(get(dst), v128.load(get(src))), inc(dst, 16), inc(src, 16)),
              whileLoop(i32.lt_u(get(dst), get(end)), f32.store(get(dst), f32.load(get(src))), inc(dst, 4), inc(src, 4)),
            ],
            [whileLoop(i32.lt_u(get(dst), get(end)), f32.store(get(dst), f32.load(get(src))), inc(dst, 4), inc(src, bytes(get(g.sw))))],
          ),
          zeroTo(add(get(p.cols), bytes(get(g.OW)))),
        ],
        () => [set(dst, get(p.cols)), zeroTo(add(get(p.cols), bytes(get(g.OW))))],
      ),
    ];
  });

  /**
   * col2im(geo, image, r0, r1, oh0, oh1, dcols): adds dcols — rows [r0, r1) x output rows [oh0, oh1),
   * row-major — back onto the image; padding taps are dropped.
   */
  const col2im = defineFunction(mod, "col2im", { params: i32Params("geo", "image", "r0", "r1", "oh0", "oh1", "dcols"), exported: false }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [dst, src, end] = locals(fn, "i32", 3);
    return [
      code,
      unfoldLoop(
        fn,
        g,
        p.image,
        get(p.r0),
        get(p.r1),
        get(p.oh0),
        get(p.oh1),
        p.dcols,
        (row, lo, hi) => [
          set(dst, add(get(row), bytes(i32.mul(get(lo), get(g.sw))))),
          set(src, add(get(p.dcols), bytes(get(lo)))),
          set(end, add(get(p.dcols), bytes(get(hi)))),
          ifElse(
            i32.eq(get(g.sw), i32.const(1)),
            [
              whileLoop(
                i32.le_u(i32.add(get(src), i32.const(16)), get(end)),
                v128.store(get(dst), f32x4.add(v128.load(get(dst)), v128.load(get(src)))),
                inc(dst, 16),
                inc(src, 16),
              ),
              whileLoop(i32.lt_u(get(src), get(end)), f32.store(get(dst), f32.add(f32.load(get(dst)), f32.load(get(src)))), inc(dst, 4), inc(src, 4)),
            ],
            [
              whileLoop(
                i32.lt_u(get(src), get(end)),
                f32.store(get(dst), f32.add(f32.load(get(dst)), f32.load(get(src)))),
                inc(src, 4),
                inc(dst, bytes(get(g.sw))),
              ),
            ],
          ),
        ],
        () => [],
      ),
    ];
  });
  return { im2col, col2im };
}

const CHUNK_PARAMS = i32Params("geo", "chunk0", "chunk1", "scratch");

export function emitConv(mod: ModuleBuilder, gemm: GemmFunctions, m: MemoryFunctions): ConvFunctions {
  const unfold = emitUnfold(mod, m);

  const pack = emitConvPack(mod, m);

  defineConvForward(mod, "conv2dForward", gemm, unfold, pack);

  defineFunction(mod, "conv2dGradInput", { params: CHUNK_PARAMS }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [ch, per, n, rem, grp, c0, c1, kk, r0, rows, image, a, bPtr, dcols, plane, oh0, oh1, pc] = locals(fn, "i32", 18);
    /** C [rows, cols] (row stride cols) = A · gradOut's columns from b (row stride P). */
    const product = (b: Code, c: Code, cols: Code): Code =>
      call(
        gemm.gemm,
        get(g.OCg),
        get(a),
        i32.const(4),
        bytes(get(g.R)),
        b,
        bytes(get(g.P)),
        i32.const(4),
        c,
        bytes(cols),
        i32.const(0),
        i32.const(0),
        i32.const(0),
        get(rows),
        i32.const(0),
        cols,
        get(p.scratch),
      );
    return [
      code,
      set(per, i32.mul(get(g.groups), get(g.countA))),
      set(kk, i32.mul(get(g.KH), get(g.KW))),
      set(plane, i32.mul(get(g.H), get(g.W))),
      set(dcols, i32.add(get(p.scratch), i32.const(COLS_OFFSET))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        decodeChunk(g, ch, per, n, rem, grp, c0),
        set(c1, min(i32.add(get(c0), get(g.blockA)), get(g.Cg))),
        set(r0, i32.mul(get(c0), get(kk))),
        set(rows, i32.mul(i32.sub(get(c1), get(c0)), get(kk))),
        // dx of this image and group (channel 0 of the group).
        set(image, add(get(g.out), bytes(mul(add(i32.mul(get(n), get(g.C)), i32.mul(get(grp), get(g.Cg))), get(plane))))),
        // A(i = r, k = oc) = w[grp·OCg + oc, r]: the weights read transposed.
        set(a, add(get(g.weight), bytes(add(mul(get(grp), get(g.OCg), get(g.R)), get(r0))))),
        set(bPtr, add(get(g.gradOut), bytes(mul(add(i32.mul(get(n), get(g.OC)), i32.mul(get(grp), get(g.OCg))), get(g.P))))),
        ifElse(
          get(g.pointwise),
          [product(get(bPtr), add(get(image), bytes(i32.mul(get(c0), get(plane)))), get(g.P))],
          [
            call(m.zero, add(get(image), bytes(i32.mul(get(c0), get(plane)))), i32.mul(i32.sub(get(c1), get(c0)), get(plane))),
            // Blocks of blockB output rows: dcols holds one block at a time (and is still in cache when col2im reads it).
            forRange(
              oh0,
              i32.const(0),
              get(g.OH),
              get(g.blockB),
              set(oh1, min(i32.add(get(oh0), get(g.blockB)), get(g.OH))),
              set(pc, i32.mul(i32.sub(get(oh1), get(oh0)), get(g.OW))),
              product(add(get(bPtr), bytes(i32.mul(get(oh0), get(g.OW)))), get(dcols), get(pc)),
              call(unfold.col2im, get(p.geo), get(image), get(r0), i32.add(get(r0), get(rows)), get(oh0), get(oh1), get(dcols)),
            ),
          ],
        ),
      ),
    ];
  });

  defineFunction(mod, "conv2dGradWeight", { params: CHUNK_PARAMS }, (p, fn) => {
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [ch, per, grp, rem, rb, nb, r0, r1, n, n1, dst, image, cols, plane, padded, a] = locals(fn, "i32", 16);
    return [
      code,
      set(per, i32.mul(get(g.countA), get(g.countB))),
      set(plane, i32.mul(get(g.H), get(g.W))),
      // Scratch after the GEMM's: the cols matrix, or the row-offset table (at cols) and the padded input.
      set(cols, i32.add(get(p.scratch), i32.const(COLS_OFFSET))),
      set(padded, i32.add(get(cols), i32.and(i32.add(bytes(get(g.R)), i32.const(15)), i32.const(-16)))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        set(grp, i32.div_u(get(ch), get(per))),
        set(rem, i32.sub(get(ch), i32.mul(get(grp), get(per)))),
        set(rb, i32.div_u(get(rem), get(g.countB))),
        set(nb, i32.sub(get(rem), i32.mul(get(rb), get(g.countB)))),
        set(r0, i32.mul(get(rb), get(g.blockA))),
        set(r1, min(i32.add(get(r0), get(g.blockA)), get(g.R))),
        set(n, i32.mul(get(nb), get(g.blockB))),
        set(n1, min(i32.add(get(n), get(g.blockB)), get(g.N))),
        set(
          dst,
          add(
            choose("i32", get(nb), add(get(g.partial), i32.mul(i32.sub(get(nb), i32.const(1)), get(g.partialStride))), get(g.out)),
            bytes(add(mul(get(grp), get(g.OCg), get(g.R)), get(r0))),
          ),
        ),
        forRange(
          n,
          get(n),
          get(n1),
          1,
          set(image, add(get(g.image), bytes(mul(add(i32.mul(get(n), get(g.C)), i32.mul(get(grp), get(g.Cg))), get(plane))))),
          ifElse(
            get(g.packFromInput),
            [
              // The cols matrix is never built: colsᵀ is packed from the padded input (conv-pack.ts).
              call(pack.padInput, get(p.geo), get(image), i32.const(0), get(g.OH), get(padded), get(cols)),
              set(a, add(get(g.gradOut), bytes(mul(add(i32.mul(get(n), get(g.OC)), i32.mul(get(grp), get(g.OCg))), get(g.P))))),
              gemmLoops(fn, gemm, {
                K: get(g.P),
                a,
                aRs: bytes(get(g.P)),
                aCs: i32.const(4),
                c: dst,
                cRs: bytes(get(g.R)),
                beta: i32.eqz(firstOfBlock(g, n)),
                i0: i32.const(0),
                i1: get(g.OCg),
                j0: i32.const(0),
                j1: i32.sub(get(r1), get(r0)),
                scratch: p.scratch,
                packB: (k0, kc, n0, nc, pb) =>
                  call(pack.packConvBT, get(p.geo), get(padded), get(cols), get(k0), get(kc), i32.add(get(r0), get(n0)), get(nc), get(pb)),
              }),
            ],
            [
              ifElse(
                get(g.pointwise),
                [
                  // B(k = p, j = r) = x[channel r, position p]: the image read transposed.
                  gradWeightGemm(gemm, g, p.scratch, dst, n, add(get(image), bytes(i32.mul(get(r0), get(plane)))), bytes(get(plane)), r0, r1, grp),
                ],
                [
                  call(unfold.im2col, get(p.geo), get(image), get(r0), get(r1), i32.const(0), get(g.OH), get(cols)),
                  gradWeightGemm(gemm, g, p.scratch, dst, n, get(cols), bytes(get(g.P)), r0, r1, grp),
                ],
              ),
            ],
          ),
        ),
      ),
    ];
  });

  return unfold;
}

/** Whether image n is the first of its batch block (which overwrites dst rather than adding to it). */
const firstOfBlock = (g: Readonly<Record<string, number>>, n: number): Code => i32.eq(get(n), i32.mul(i32.div_u(get(n), get(g.blockB!)), get(g.blockB!)));

/** dst [OCg, r1 - r0] (+)= gradOut_n,g [OCg, P] · Bᵀ, B's row r at b + r·colStride (the first image of a block overwrites). */
function gradWeightGemm(
  gemm: GemmFunctions,
  g: Readonly<Record<string, number>>,
  scratch: number,
  dst: number,
  n: number,
  b: Code,
  colStride: Code,
  r0: number,
  r1: number,
  grp: number,
): Code {
  return call(
    gemm.gemm,
    get(g.P!),
    add(get(g.gradOut!), bytes(mul(add(i32.mul(get(n), get(g.OC!)), i32.mul(get(grp), get(g.OCg!))), get(g.P!)))),
    bytes(get(g.P!)),
    i32.const(4),
    b,
    i32.const(4),
    colStride,
    get(dst),
    bytes(get(g.R!)),
    i32.eqz(firstOfBlock(g, n)),
    i32.const(0),
    i32.const(0),
    get(g.OCg!),
    i32.const(0),
    i32.sub(get(r1), get(r0)),
    get(scratch),
  );
}

/**
 * What a forward conv with a GEMM epilogue does per chunk: write the epilogue's record
 * (gemm-epilogue.ts) for C = the output of image n, group grp, from output position p0 (its first
 * row; the chunk's output channels are rows of that C).
 */
export interface ConvForwardEpilogue {
  readonly chunk: (
    fn: FunctionBuilder,
    at: {
      readonly g: Readonly<Record<string, number>>;
      readonly ep: number;
      readonly scratch: number;
      readonly n: number;
      readonly grp: number;
      readonly p0: number;
      readonly c: number;
    },
  ) => Code;
}

const fieldOffset = (name: (typeof CONV.fields)[number]): number => CONV.fields.indexOf(name) * 4;

/**
 * The forward conv's chunked kernel `name`(geo, chunk0, chunk1, scratch): over (image, group,
 * block of output rows, block of output channels or columns — see the record's splitColumns),
 * the GEMM packing from the input, from a cols matrix or (1x1) from the image itself. With an
 * epilogue it takes (geo, ep, chunk0, chunk1, scratch), and `gemm` must have been emitted with the
 * matching tile epilogue.
 *
 * A block of columns packs from the input through its own copy of the record, with OW its width
 * and the left padding moved by its first column, so that the padded copy holds only the input
 * columns that block reads.
 */
export function defineConvForward(
  mod: ModuleBuilder,
  name: string,
  gemm: GemmFunctions,
  unfold: ConvFunctions,
  pack: ConvPackFunctions,
  epilogue?: ConvForwardEpilogue,
): void {
  const params = epilogue ? i32Params("geo", "ep", "chunk0", "chunk1", "scratch") : CHUNK_PARAMS;
  defineFunction(mod, name, { params, exported: true }, (named, fn) => {
    const p = named as Record<"geo" | "ep" | "chunk0" | "chunk1" | "scratch", number>;
    const { fields: g, code } = CONV.load(fn, p.geo);
    const [ch, per, n, rem, grp, oh0, oh1, pc, image, a, c, bias, b, bRs, cols, table, padded] = locals(fn, "i32", 17);
    const [sub, i0, i1, ow0, p0, geo, k] = locals(fn, "i32", 7);
    return [
      code,
      set(per, i32.mul(get(g.groups), get(g.countA))),
      // Scratch after the GEMM's: the chunk's record, then the cols matrix, or the row-offset table and the padded input.
      set(geo, i32.add(get(p.scratch), i32.const(COLS_OFFSET))),
      set(cols, i32.add(get(geo), i32.const(CHUNK_RECORD_BYTES))),
      set(table, get(cols)),
      set(padded, i32.add(get(table), i32.and(i32.add(bytes(get(g.R)), i32.const(15)), i32.const(-16)))),
      forRange(k, i32.const(0), i32.const(CONV.bytes), 4, i32.store(i32.add(get(geo), get(k)), i32.load(i32.add(get(p.geo), get(k))))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        // Chunk = ((image, group, row block), sub-block): decodeChunk over the first three.
        set(sub, i32.rem_u(get(ch), get(g.countB))),
        set(rem, i32.div_u(get(ch), get(g.countB))),
        decodeChunk(g, rem, per, n, rem, grp, oh0),
        set(oh1, min(i32.add(get(oh0), get(g.blockA)), get(g.OH))),
        set(i0, i32.const(0)),
        set(i1, get(g.OCg)),
        set(ow0, i32.const(0)),
        set(pc, i32.mul(i32.sub(get(oh1), get(oh0)), get(g.OW))),
        ifElse(
          get(g.splitColumns),
          [
            set(ow0, i32.mul(get(sub), get(g.blockB))),
            set(pc, i32.sub(min(i32.add(get(ow0), get(g.blockB)), get(g.OW)), get(ow0))),
            i32.store(get(geo), get(pc), fieldOffset("OW")),
            i32.store(get(geo), i32.sub(get(g.pl), i32.mul(get(ow0), get(g.sw))), fieldOffset("pl")),
          ],
          [set(i0, i32.mul(get(sub), get(g.blockB))), set(i1, min(i32.add(get(i0), get(g.blockB)), get(g.OCg)))],
        ),
        set(p0, i32.add(i32.mul(get(oh0), get(g.OW)), get(ow0))),
        set(image, add(get(g.image), bytes(mul(add(i32.mul(get(n), get(g.C)), i32.mul(get(grp), get(g.Cg))), get(g.H), get(g.W))))),
        set(a, add(get(g.weight), bytes(mul(get(grp), get(g.OCg), get(g.R))))),
        set(c, add(get(g.out), bytes(add(mul(add(i32.mul(get(n), get(g.OC)), i32.mul(get(grp), get(g.OCg))), get(g.P)), get(p0))))),
        set(bias, choose("i32", get(g.bias), add(get(g.bias), bytes(i32.mul(get(grp), get(g.OCg)))), i32.const(0))),
        epilogue ? epilogue.chunk(fn, { g, ep: p.ep, scratch: p.scratch, n, grp, p0, c }) : [],
        ifElse(
          get(g.packFromInput),
          [
            // The cols matrix is never built: its panels are packed from the input (conv-pack.ts).
            call(pack.padInput, get(geo), get(image), get(oh0), get(oh1), get(padded), get(table)),
            gemmLoops(fn, gemm, {
              K: get(g.R),
              a,
              aRs: bytes(get(g.R)),
              aCs: i32.const(4),
              c,
              cRs: bytes(get(g.P)),
              beta: i32.const(0),
              bias,
              i0: get(i0),
              i1: get(i1),
              j0: i32.const(0),
              j1: get(pc),
              scratch: p.scratch,
              markLast: epilogue !== undefined,
              packB: (k0, kc, n0, nc, pb) => call(pack.packConvB, get(geo), get(padded), get(table), get(k0), get(kc), get(n0), get(nc), get(pb)),
            }),
          ],
          [
            ifElse(
              get(g.pointwise),
              [set(b, add(get(image), bytes(get(p0)))), set(bRs, bytes(get(g.P)))],
              [
                call(unfold.im2col, get(p.geo), get(image), i32.const(0), get(g.R), get(oh0), get(oh1), get(cols)),
                set(b, add(get(cols), bytes(get(ow0)))),
                set(bRs, bytes(i32.mul(i32.sub(get(oh1), get(oh0)), get(g.OW)))),
              ],
            ),
            call(
              gemm.gemm,
              get(g.R),
              get(a),
              bytes(get(g.R)),
              i32.const(4),
              get(b),
              get(bRs),
              i32.const(4),
              get(c),
              bytes(get(g.P)),
              i32.const(0),
              get(bias),
              get(i0),
              get(i1),
              i32.const(0),
              get(pc),
              get(p.scratch),
            ),
          ],
        ),
      ),
    ];
  });
}
