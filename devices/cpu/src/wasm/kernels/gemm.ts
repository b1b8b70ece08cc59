/**
 * Single-precision GEMM in WebAssembly SIMD, organised like BLIS: operands are packed block by
 * block into panels (MR rows of A, NR columns of B, interleaved along K) so that a 4x8 register
 * tile of C — eight f32x4 accumulators — streams both panels sequentially. Block sizes keep one
 * B panel (KC x NR) in L1 and one A block (MC x KC) in L2 while the tiles sweep it.
 *
 * All pointers and strides are in bytes. Element (i, k) of A is at a + i·aRs + k·aCs and (k, j)
 * of B at b + k·bRs + j·bCs, so transposed operands are only other strides; the packers have
 * vector paths for unit row or unit column stride and a scalar path for anything else.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { call, choose, f32, f32x4, forRange, get, i32, ifElse, inc, lanes32, minS, set, v128, when, whileLoop } from "../instructions.ts";

export const MR = 4;
export const NR = 8;
/** Largest K block; K is split into equal blocks no larger than this, so no block is a short remainder. */
export const KC = 384;
export const MC = 128;
export const NC = 1024;

/** Bytes of the per-thread record a GEMM with an epilogue reads its operands' addresses from (gemm-epilogue.ts). */
export const EPILOGUE_CONTEXT_BYTES = 128;

/** Bytes of per-thread scratch the GEMM needs: packed A block, packed B block, one spill tile, the epilogue's record. */
export const GEMM_SCRATCH_BYTES = MC * KC * 4 + KC * NC * 4 + MR * NR * 4 + EPILOGUE_CONTEXT_BYTES;
export const PACK_A_OFFSET = 0;
export const PACK_B_OFFSET = MC * KC * 4;
export const TILE_OFFSET = PACK_B_OFFSET + KC * NC * 4;
export const EPILOGUE_CONTEXT_OFFSET = TILE_OFFSET + MR * NR * 4;

/** Bit of the tile's `beta` argument that marks the last K block, where a tile with an epilogue applies it. */
export const LAST_BLOCK = 2;

/** The tile's parameters (locals) and its accumulators, as an epilogue sees them. */
export interface TileLocals {
  readonly c: number;
  readonly cRs: number;
  readonly beta: number;
  readonly rows: number;
  readonly cols: number;
  readonly tmp: number;
  /** acc[2·row + half]: columns 4·half.. of the tile's row. */
  readonly acc: readonly number[];
}

/** Code that finishes a tile of the last K block: reads C where beta's bit 0 is set, applies the program, stores every output. */
export type TileEpilogue = (fn: FunctionBuilder, tile: TileLocals) => Code;

export interface GemmFunctions {
  readonly packA: FunctionBuilder;
  readonly packB: FunctionBuilder;
  readonly tile: FunctionBuilder;
  readonly block: FunctionBuilder;
  readonly gemm: FunctionBuilder;
}

const min = minS;

/** 4x4 transpose of rows r0..r3 (each a local); returns the four column vectors as code. */
export function transpose4(r: readonly number[]): Code[] {
  const [r0, r1, r2, r3] = r.map(get) as [Code, Code, Code, Code];
  const lo01 = v128.shuffle(r0, r1, lanes32(0, 4, 1, 5));
  const hi01 = v128.shuffle(r0, r1, lanes32(2, 6, 3, 7));
  const lo23 = v128.shuffle(r2, r3, lanes32(0, 4, 1, 5));
  const hi23 = v128.shuffle(r2, r3, lanes32(2, 6, 3, 7));
  return [
    v128.shuffle(lo01, lo23, lanes32(0, 1, 4, 5)),
    v128.shuffle(lo01, lo23, lanes32(2, 3, 6, 7)),
    v128.shuffle(hi01, hi23, lanes32(0, 1, 4, 5)),
    v128.shuffle(hi01, hi23, lanes32(2, 3, 6, 7)),
  ];
}

/** packA(src, rs, cs, m, k, dst): rows of A into panels of MR, zero past row m. */
function emitPackA(mod: ModuleBuilder): FunctionBuilder {
  return defineFunction(mod, "packA", { params: i32Params("src", "rs", "cs", "m", "k", "dst"), exported: false }, (p, fn) => {
    const [row, kk, s, d, rows] = locals(fn, "i32", 5);
    const r = locals(fn, "v128", 4);
    const t = locals(fn, "v128", 4);
    const rowAt = (n: number): Code => (n === 0 ? get(s) : i32.add(get(s), i32.mul(get(p.rs), i32.const(n))));
    const scalarStep = (valid: (n: number) => Code | undefined): Code[] =>
      [0, 1, 2, 3].map((n) => {
        const cond = valid(n);
        const load = f32.store(get(d), f32.load(rowAt(n)), n * 4);
        return cond === undefined ? load : ifElse(cond, [load], [f32.store(get(d), f32.const(0), n * 4)]);
      });
    return forRange(row, i32.const(0), get(p.m), MR, [
      set(s, i32.add(get(p.src), i32.mul(get(row), get(p.rs)))),
      set(d, i32.add(get(p.dst), i32.mul(get(row), i32.shl(get(p.k), i32.const(2))))),
      set(rows, min(i32.sub(get(p.m), get(row)), i32.const(MR))),
      ifElse(
        i32.eq(get(rows), i32.const(MR)),
        [
          ifElse(
            i32.eq(get(p.rs), i32.const(4)),
            [
              // Column-major A: the four rows of one k are already adjacent.
              forRange(kk, i32.const(0), get(p.k), 1, v128.store(get(d), v128.load(get(s))), inc(s, get(p.cs)), inc(d, 16)),
            ],
            [
              ifElse(
                i32.eq(get(p.cs), i32.const(4)),
                [
                  // Row-major A: read 4x4 blocks and transpose them.
                  set(kk, i32.const(0)),
                  whileLoop(
                    i32.le_s(i32.add(get(kk), i32.const(4)), get(p.k)),
                    [0, 1, 2, 3].map((n) => set(r[n]!, v128.load(rowAt(n)))),
                    transpose4(r).map((col, n) => set(t[n]!, col)),
                    t.map((col, n) => v128.store(get(d), get(col), n * 16)),
                    inc(s, 16),
                    inc(d, 64),
                    inc(kk, 4),
                  ),
                  whileLoop(
                    i32.lt_s(get(kk), get(p.k)),
                    scalarStep(() => undefined),
                    inc(s, 4),
                    inc(d, 16),
                    inc(kk, 1),
                  ),
                ],
                [
                  forRange(
                    kk,
                    i32.const(0),
                    get(p.k),
                    1,
                    scalarStep(() => undefined),
                    inc(s, get(p.cs)),
                    inc(d, 16),
                  ),
                ],
              ),
            ],
          ),
        ],
        [
          forRange(
            kk,
            i32.const(0),
            get(p.k),
            1,
            scalarStep((n) => i32.gt_s(get(rows), i32.const(n))),
            inc(s, get(p.cs)),
            inc(d, 16),
          ),
        ],
      ),
    ]);
  });
}

/** packB(src, rs, cs, k, n, dst): columns of B into panels of NR, zero past column n. */
function emitPackB(mod: ModuleBuilder): FunctionBuilder {
  return defineFunction(mod, "packB", { params: i32Params("src", "rs", "cs", "k", "n", "dst"), exported: false }, (p, fn) => {
    const [col, kk, s, d, cols, q] = locals(fn, "i32", 6);
    const r = locals(fn, "v128", 4);
    const colAt = (n: number): Code => (n === 0 ? get(s) : i32.add(get(s), i32.mul(get(p.cs), i32.const(n))));
    const scalarStep = (guarded: boolean): Code[] =>
      Array.from({ length: NR }, (_, n) => {
        const load = f32.store(get(d), f32.load(colAt(n)), n * 4);
        return guarded ? ifElse(i32.gt_s(get(cols), i32.const(n)), [load], [f32.store(get(d), f32.const(0), n * 4)]) : load;
      });
    return forRange(col, i32.const(0), get(p.n), NR, [
      set(s, i32.add(get(p.src), i32.mul(get(col), get(p.cs)))),
      set(d, i32.add(get(p.dst), i32.mul(get(col), i32.shl(get(p.k), i32.const(2))))),
      set(cols, min(i32.sub(get(p.n), get(col)), i32.const(NR))),
      ifElse(
        i32.eq(get(cols), i32.const(NR)),
        [
          ifElse(
            i32.eq(get(p.cs), i32.const(4)),
            [
              // Row-major B: one k is eight adjacent floats.
              forRange(
                kk,
                i32.const(0),
                get(p.k),
                1,
                v128.store(get(d), v128.load(get(s))),
                v128.store(get(d), v128.load(get(s), 16), 16),
                inc(s, get(p.rs)),
                inc(d, 32),
              ),
            ],
            [
              ifElse(
                i32.eq(get(p.rs), i32.const(4)),
                [
                  // Column-major B (a transposed operand): 4x4 transposes, two per k-quad.
                  set(kk, i32.const(0)),
                  whileLoop(
                    i32.le_s(i32.add(get(kk), i32.const(4)), get(p.k)),
                    [0, 4].map((half) => [
                      set(q, half === 0 ? get(s) : i32.add(get(s), i32.shl(get(p.cs), i32.const(2)))),
                      [0, 1, 2, 3].map((n) => set(r[n]!, v128.load(n === 0 ? get(q) : i32.add(get(q), i32.mul(get(p.cs), i32.const(n)))))),
                      transpose4(r).map((vec, n) => v128.store(get(d), vec, n * 32 + half * 4)),
                    ]),
                    inc(s, 16),
                    inc(d, 128),
                    inc(kk, 4),
                  ),
                  whileLoop(i32.lt_s(get(kk), get(p.k)), scalarStep(false), inc(s, 4), inc(d, 32), inc(kk, 1)),
                ],
                [forRange(kk, i32.const(0), get(p.k), 1, scalarStep(false), inc(s, get(p.rs)), inc(d, 32))],
              ),
            ],
          ),
        ],
        [forRange(kk, i32.const(0), get(p.k), 1, scalarStep(true), inc(s, get(p.rs)), inc(d, 32))],
      ),
    ]);
  });
}

/**
 * tile(kc, pa, pb, c, cRs, beta, bias, rows, cols, tmp): the 4x8 micro-kernel over packed panels.
 * C = acc (+ bias[row]) (+ C when beta); only rows x cols of the tile are written.
 */
function emitTile(mod: ModuleBuilder, fma: boolean, epilogue?: TileEpilogue): FunctionBuilder {
  return defineFunction(mod, "tile", { params: i32Params("kc", "pa", "pb", "c", "cRs", "beta", "bias", "rows", "cols", "tmp"), exported: false }, (p, fn) => {
    const acc = locals(fn, "v128", 8);
    const [a, b0, b1] = locals(fn, "v128", 3);
    const [kk, addr, r, j] = locals(fn, "i32", 4);
    // One fused multiply-add per accumulator where relaxed SIMD is available, else a multiply and an add.
    const madd = (x: Code, y: Code, z: Code): Code => (fma ? f32x4.relaxedMadd(x, y, z) : f32x4.add(z, f32x4.mul(x, y)));
    const step = (offA: number, offB: number): Code[] => [
      set(b0, v128.load(get(p.pb), offB)),
      set(b1, v128.load(get(p.pb), offB + 16)),
      [0, 1, 2, 3].map((row) => [
        set(a, v128.load32Splat(get(p.pa), offA + row * 4)),
        set(acc[2 * row]!, madd(get(a), get(b0), get(acc[2 * row]!))),
        set(acc[2 * row + 1]!, madd(get(a), get(b1), get(acc[2 * row + 1]!))),
      ]),
    ];
    // V8 hoists the loads of an unrolled body ahead of the arithmetic and then spills: no unrolling.
    const UNROLL = 1;
    const rowAddr = (row: number): Code => (row === 0 ? get(p.c) : i32.add(get(p.c), i32.mul(get(p.cRs), i32.const(row))));
    const store: Code = [
      ifElse(
        i32.and(i32.eq(get(p.rows), i32.const(MR)), i32.eq(get(p.cols), i32.const(NR))),
        [
          ifElse(
            get(p.beta),
            [
              [0, 1, 2, 3].map((row) => [
                set(addr, rowAddr(row)),
                v128.store(get(addr), f32x4.add(get(acc[2 * row]!), v128.load(get(addr)))),
                v128.store(get(addr), f32x4.add(get(acc[2 * row + 1]!), v128.load(get(addr), 16)), 16),
              ]),
            ],
            [
              [0, 1, 2, 3].map((row) => [
                set(addr, rowAddr(row)),
                v128.store(get(addr), get(acc[2 * row]!)),
                v128.store(get(addr), get(acc[2 * row + 1]!), 16),
              ]),
            ],
          ),
        ],
        [
          // Edge tile: spill the accumulators and write the valid part element by element.
          acc.map((v, n) => v128.store(get(p.tmp), get(v), n * 16)),
          forRange(
            r,
            i32.const(0),
            get(p.rows),
            1,
            forRange(
              j,
              i32.const(0),
              get(p.cols),
              1,
              set(addr, i32.add(i32.add(get(p.c), i32.mul(get(r), get(p.cRs))), i32.shl(get(j), i32.const(2)))),
              f32.store(
                get(addr),
                f32.add(
                  f32.load(i32.add(get(p.tmp), i32.add(i32.shl(get(r), i32.const(5)), i32.shl(get(j), i32.const(2))))),
                  choose("f32", get(p.beta), f32.load(get(addr)), f32.const(0)),
                ),
              ),
            ),
          ),
        ],
      ),
    ];
    return [
      acc.map((v) => set(v, f32x4.const(0))),
      set(kk, get(p.kc)),
      whileLoop(
        i32.ge_s(get(kk), i32.const(UNROLL)),
        Array.from({ length: UNROLL }, (_, u) => step(u * 16, u * 32)),
        inc(p.pa, 16 * UNROLL),
        inc(p.pb, 32 * UNROLL),
        inc(kk, -UNROLL),
      ),
      whileLoop(i32.gt_s(get(kk), i32.const(0)), step(0, 0), inc(p.pa, 16), inc(p.pb, 32), inc(kk, -1)),
      when(
        get(p.bias),
        [0, 1, 2, 3].map((row) => [
          set(a, v128.load32Splat(get(p.bias), row * 4)),
          set(acc[2 * row]!, f32x4.add(get(acc[2 * row]!), get(a))),
          set(acc[2 * row + 1]!, f32x4.add(get(acc[2 * row + 1]!), get(a))),
        ]),
      ),
      epilogue ? ifElse(i32.and(get(p.beta), i32.const(LAST_BLOCK)), [epilogue(fn, { ...p, acc })], [store]) : store,
    ];
  });
}

/**
 * block(mc, nc, kc, pa, pb, c, cRs, beta, bias, tmp): C[mc x nc] (+)= packed A block · packed B
 * block, sweeping B panels in the outer loop so each stays in L1 while every A panel passes it.
 */
function emitBlock(mod: ModuleBuilder, tile: FunctionBuilder): FunctionBuilder {
  return defineFunction(mod, "gemmBlock", { params: i32Params("mc", "nc", "kc", "pa", "pb", "c", "cRs", "beta", "bias", "tmp"), exported: false }, (p, fn) => {
    const [j, i, pbPanel, paPanel] = locals(fn, "i32", 4);
    return [
      set(pbPanel, get(p.pb)),
      forRange(
        j,
        i32.const(0),
        get(p.nc),
        NR,
        set(paPanel, get(p.pa)),
        forRange(
          i,
          i32.const(0),
          get(p.mc),
          MR,
          call(
            tile,
            get(p.kc),
            get(paPanel),
            get(pbPanel),
            i32.add(i32.add(get(p.c), i32.mul(get(i), get(p.cRs))), i32.shl(get(j), i32.const(2))),
            get(p.cRs),
            get(p.beta),
            choose("i32", get(p.bias), i32.add(get(p.bias), i32.shl(get(i), i32.const(2))), i32.const(0)),
            min(i32.sub(get(p.mc), get(i)), i32.const(MR)),
            min(i32.sub(get(p.nc), get(j)), i32.const(NR)),
            get(p.tmp),
          ),
          inc(paPanel, i32.shl(get(p.kc), i32.const(4))),
        ),
        inc(pbPanel, i32.shl(get(p.kc), i32.const(5))),
      ),
    ];
  });
}

/** The operands of one blocked product, as locals (or code) of the function that runs it. */
export interface GemmOperands {
  readonly K: Code;
  readonly a: number;
  readonly aRs: Code;
  readonly aCs: Code;
  readonly c: number;
  readonly cRs: Code;
  readonly beta: Code;
  /** A local holding a per-row bias vector's address (0: none); absent, no bias. */
  readonly bias?: number;
  readonly i0: Code;
  readonly i1: Code;
  readonly j0: Code;
  readonly j1: Code;
  readonly scratch: number;
  /** Packs B's rows [k0, k0 + kc) x columns [n0, n0 + nc) into NR-column panels at pb (all locals). */
  readonly packB: (k0: number, kc: number, n0: number, nc: number, pb: number) => Code;
  /** Tell the tiles of the last K block so (LAST_BLOCK): for a tile with an epilogue. */
  readonly markLast?: boolean;
}

/**
 * The loop nest of a blocked product: rows [i0, i1) x columns [j0, j1) of C (+)= A · B, packing
 * through `scratch`. B comes through `packB`, so a caller can pack it from something that is not a
 * matrix in memory (a convolution's input window, conv-pack.ts).
 */
export function gemmLoops(fn: FunctionBuilder, gemm: Pick<GemmFunctions, "packA" | "block">, o: GemmOperands): Code {
  const [n0, nc, k0, kc, m0, mc, pa, pb, first, kStep, K] = locals(fn, "i32", 11);
  return [
    set(K, o.K),
    set(kStep, i32.div_u(i32.add(get(K), i32.const(KC - 1)), i32.const(KC))),
    set(kStep, i32.div_u(i32.add(get(K), i32.sub(get(kStep), i32.const(1))), get(kStep))),
    set(pa, i32.add(get(o.scratch), i32.const(PACK_A_OFFSET))),
    set(pb, i32.add(get(o.scratch), i32.const(PACK_B_OFFSET))),
    forRange(
      n0,
      o.j0,
      o.j1,
      NC,
      set(nc, min(i32.sub(o.j1, get(n0)), i32.const(NC))),
      forRange(
        k0,
        i32.const(0),
        get(K),
        get(kStep),
        set(kc, min(i32.sub(get(K), get(k0)), get(kStep))),
        set(first, i32.eqz(get(k0))),
        o.packB(k0, kc, n0, nc, pb),
        forRange(
          m0,
          o.i0,
          o.i1,
          MC,
          set(mc, min(i32.sub(o.i1, get(m0)), i32.const(MC))),
          call(gemm.packA, i32.add(i32.add(get(o.a), i32.mul(get(m0), o.aRs)), i32.mul(get(k0), o.aCs)), o.aRs, o.aCs, get(mc), get(kc), get(pa)),
          call(
            gemm.block,
            get(mc),
            get(nc),
            get(kc),
            get(pa),
            get(pb),
            i32.add(i32.add(get(o.c), i32.mul(get(m0), o.cRs)), i32.shl(get(n0), i32.const(2))),
            o.cRs,
            o.markLast
              ? i32.or(i32.or(o.beta, i32.eqz(get(first))), choose("i32", i32.ge_s(i32.add(get(k0), get(kc)), get(K)), i32.const(LAST_BLOCK), i32.const(0)))
              : i32.or(o.beta, i32.eqz(get(first))),
            o.bias === undefined
              ? i32.const(0)
              : choose("i32", i32.and(get(first), i32.ne(get(o.bias), i32.const(0))), i32.add(get(o.bias), i32.shl(get(m0), i32.const(2))), i32.const(0)),
            i32.add(get(o.scratch), i32.const(TILE_OFFSET)),
          ),
        ),
      ),
    ),
  ];
}

/**
 * gemmRange(K, a, aRs, aCs, b, bRs, bCs, c, cRs, beta, bias, i0, i1, j0, j1, scratch):
 * rows [i0, i1) x columns [j0, j1) of C (+)= A · B, blocked and packed through `scratch`.
 * `bias` (a per-row vector, or 0) is added once; `beta` keeps what C held.
 */
function emitGemmRange(mod: ModuleBuilder, packA: FunctionBuilder, packB: FunctionBuilder, blk: FunctionBuilder, markLast: boolean): FunctionBuilder {
  const params = i32Params("K", "a", "aRs", "aCs", "b", "bRs", "bCs", "c", "cRs", "beta", "bias", "i0", "i1", "j0", "j1", "scratch");
  return defineFunction(mod, "gemmRange", { params, exported: false }, (p, fn) =>
    gemmLoops(
      fn,
      { packA, block: blk },
      {
        K: get(p.K),
        a: p.a,
        aRs: get(p.aRs),
        aCs: get(p.aCs),
        c: p.c,
        cRs: get(p.cRs),
        beta: get(p.beta),
        bias: p.bias,
        i0: get(p.i0),
        i1: get(p.i1),
        j0: get(p.j0),
        j1: get(p.j1),
        scratch: p.scratch,
        markLast,
        packB: (k0, kc, n0, nc, pb) =>
          call(
            packB,
            i32.add(i32.add(get(p.b), i32.mul(get(k0), get(p.bRs))), i32.mul(get(n0), get(p.bCs))),
            get(p.bRs),
            get(p.bCs),
            get(kc),
            get(nc),
            get(pb),
          ),
      },
    ),
  );
}

/**
 * `fma`: use f32x4.relaxed_madd in the micro-kernel (the host must support relaxed SIMD).
 * `epilogue`: the tiles of the last K block finish with it (the product never reaches memory
 * first); callers of gemmLoops must then set markLast.
 */
export function emitGemm(mod: ModuleBuilder, options: { fma: boolean; epilogue?: TileEpilogue }): GemmFunctions {
  const packA = emitPackA(mod);
  const packB = emitPackB(mod);
  const tile = emitTile(mod, options.fma, options.epilogue);
  const blk = emitBlock(mod, tile);
  const gemm = emitGemmRange(mod, packA, packB, blk, options.epilogue !== undefined);
  return { packA, packB, tile, block: blk, gemm };
}
