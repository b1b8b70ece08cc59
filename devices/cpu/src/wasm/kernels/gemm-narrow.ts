/**
 * C = A · B (+ bias per row) for a narrow B (few columns), both row-major, without packing: the
 * shape of a 1x1 convolution on a small feature map (OC x C weights against a C x P image with P of
 * a few dozen positions). The packed GEMM would copy all of A — the weights, often larger than the
 * whole product's other data — into panels first, and here every weight is used only P times.
 * This kernel streams A's rows straight from memory, four at a time, against B's rows (which stay
 * in L1): the same 4x8 register tile as the GEMM, with 4-column and single-column tails and a
 * single-row tail.
 *
 * Chunks are (image, group, block of `rowBlock` rows of C); every output is one sequential sum
 * over k whatever the split.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction, i32Params, locals } from "../define.ts";
import { choose, f32, f32x4, forRange, get, i32, inc, minS, set, v128, when, whileLoop } from "../instructions.ts";
import { Struct } from "../struct.ts";

/** One narrow GEMM per (image, group): A at weight + group·aGroup, B at image + (n·groups + group)·bGroup, C likewise. */
export const NARROW = new Struct(["weight", "image", "out", "bias", "M", "N", "K", "groups", "aGroup", "bGroup", "cGroup", "rowBlock", "rowBlocks"] as const);

/**
 * An elementwise program the narrow GEMM applies to each output as it stores it
 * (gemm-epilogue-modules.ts), instead of storing the product for a second pass: called once with
 * the kernel's function, for the code it emits there.
 */
export type NarrowEpilogue = (fn: FunctionBuilder) => {
  /** Per chunk (`img` = n·groups + group; `ep` the descriptor): sets up what `store` reads. */
  readonly chunk: (at: { readonly ep: number; readonly img: number; readonly g: Readonly<Record<string, number>> }) => Code;
  /** Finishes `value` (4 outputs, or 1 as a scalar) of row `row` of C (in its group), column `col` (+ offset/4), stored at local `dst` + offset. */
  readonly store: (value: Code, at: { readonly row: Code; readonly col: Code; readonly dst: number; readonly offset: number }, vector: boolean) => Code;
};

export function emitGemmNarrow(mod: ModuleBuilder, options: { fma: boolean }): void {
  defineGemmNarrow(mod, options, "gemmNarrow");
}

/** The kernel `name`(geo, chunk0, chunk1, scratch), or with an epilogue `name`(geo, ep, chunk0, chunk1, scratch). */
export function defineGemmNarrow(mod: ModuleBuilder, options: { fma: boolean }, name: string, epilogue?: NarrowEpilogue): void {
  const madd = (x: Code, y: Code, z: Code): Code => (options.fma ? f32x4.relaxedMadd(x, y, z) : f32x4.add(z, f32x4.mul(x, y)));
  const params = epilogue ? i32Params("geo", "ep", "chunk0", "chunk1", "scratch") : i32Params("geo", "chunk0", "chunk1", "scratch");
  defineFunction(mod, name, { params }, (named, fn) => {
    const p = named as Record<"geo" | "ep" | "chunk0" | "chunk1" | "scratch", number>;
    const { fields: g, code } = NARROW.load(fn, p.geo);
    const finish = epilogue?.(fn);
    const [ch, img, grp, rb, i, i1, j, k, a, b, c, aRow, bCol, cRow, aRs, bRs, bias] = locals(fn, "i32", 17);
    const acc = locals(fn, "v128", 8);
    const sums = locals(fn, "f32", 4);
    const [bv0, bv1, av] = locals(fn, "v128", 3);
    const [x] = locals(fn, "f32", 1);
    const rowAddr = (base: number, r: number, stride: number): Code => (r === 0 ? get(base) : i32.add(get(base), i32.mul(get(stride), i32.const(r))));
    /** Row i + r's bias, or 0 without one. */
    const biasOrZero = (r: number): Code =>
      choose("f32", get(bias), f32.load(i32.add(get(bias), i32.shl(i32.add(get(i), i32.const(r)), i32.const(2)))), f32.const(0));

    /** Stores a vector (or a scalar) of row i + r at cRow + offset, through the epilogue if there is one. */
    const put = (value: Code, r: number, offset: number, vector: boolean): Code =>
      finish
        ? finish.store(value, { row: i32.add(get(i), i32.const(r)), col: get(j), dst: cRow, offset }, vector)
        : vector
          ? v128.store(get(cRow), value, offset)
          : f32.store(get(cRow), value, offset);

    /** A tile of `rows` x 4·`vectors` outputs at (i, j): sums over k of A rows (splatted) times B row segments. */
    const vectorTile = (rows: number, vectors: number): Code => [
      acc.slice(0, rows * vectors).map((v) => set(v, f32x4.const(0))),
      set(aRow, get(a)),
      set(bCol, i32.add(get(b), i32.shl(get(j), i32.const(2)))),
      forRange(
        k,
        i32.const(0),
        get(g.K),
        1,
        set(bv0, v128.load(get(bCol))),
        vectors === 2 ? set(bv1, v128.load(get(bCol), 16)) : [],
        Array.from({ length: rows }, (_, r) => [
          set(av, v128.load32Splat(rowAddr(aRow, r, aRs))),
          set(acc[r * vectors]!, madd(get(av), get(bv0), get(acc[r * vectors]!))),
          vectors === 2 ? set(acc[r * vectors + 1]!, madd(get(av), get(bv1), get(acc[r * vectors + 1]!))) : [],
        ]),
        inc(aRow, 4),
        inc(bCol, get(bRs)),
      ),
      Array.from({ length: rows }, (_, r) => [
        set(cRow, i32.add(rowAddr(c, r, bRs), i32.shl(get(j), i32.const(2)))),
        set(av, f32x4.splat(biasOrZero(r))),
        Array.from({ length: vectors }, (_, v) => put(f32x4.add(get(acc[r * vectors + v]!), get(av)), r, v * 16, true)),
      ]),
    ];

    /** One column at (i, j) for `rows` rows, in scalar arithmetic. */
    const scalarColumn = (rows: number): Code => [
      sums.slice(0, rows).map((s) => set(s, f32.const(0))),
      set(aRow, get(a)),
      set(bCol, i32.add(get(b), i32.shl(get(j), i32.const(2)))),
      forRange(
        k,
        i32.const(0),
        get(g.K),
        1,
        set(x, f32.load(get(bCol))),
        Array.from({ length: rows }, (_, r) => set(sums[r]!, f32.add(get(sums[r]!), f32.mul(f32.load(rowAddr(aRow, r, aRs)), get(x))))),
        inc(aRow, 4),
        inc(bCol, get(bRs)),
      ),
      Array.from({ length: rows }, (_, r) => [
        set(cRow, i32.add(rowAddr(c, r, bRs), i32.shl(get(j), i32.const(2)))),
        put(f32.add(get(sums[r]!), biasOrZero(r)), r, 0, false),
      ]),
    ];

    /** All columns of `rows` rows starting at row i (a, c point at row i). */
    const rowsOf = (rows: number): Code => [
      set(j, i32.const(0)),
      whileLoop(i32.le_s(i32.add(get(j), i32.const(8)), get(g.N)), vectorTile(rows, 2), inc(j, 8)),
      when(i32.le_s(i32.add(get(j), i32.const(4)), get(g.N)), vectorTile(rows, 1), inc(j, 4)),
      whileLoop(i32.lt_s(get(j), get(g.N)), scalarColumn(rows), inc(j, 1)),
    ];

    return [
      code,
      set(aRs, i32.shl(get(g.K), i32.const(2))),
      set(bRs, i32.shl(get(g.N), i32.const(2))),
      forRange(
        ch,
        get(p.chunk0),
        get(p.chunk1),
        1,
        // ch = (n·groups + group)·rowBlocks + rb
        set(img, i32.div_u(get(ch), get(g.rowBlocks))),
        set(rb, i32.sub(get(ch), i32.mul(get(img), get(g.rowBlocks)))),
        set(i, i32.mul(get(rb), get(g.rowBlock))),
        set(i1, minS(i32.add(get(i), get(g.rowBlock)), get(g.M))),
        set(grp, i32.rem_u(get(img), get(g.groups))),
        set(a, i32.add(i32.add(get(g.weight), i32.mul(get(grp), get(g.aGroup))), i32.mul(get(i), get(aRs)))),
        set(b, i32.add(get(g.image), i32.mul(get(img), get(g.bGroup)))),
        set(c, i32.add(i32.add(get(g.out), i32.mul(get(img), get(g.cGroup))), i32.mul(get(i), get(bRs)))),
        finish ? finish.chunk({ ep: p.ep, img, g }) : [],
        set(bias, get(g.bias)),
        when(get(bias), set(bias, i32.add(get(bias), i32.shl(i32.mul(get(grp), get(g.M)), i32.const(2))))),
        whileLoop(
          i32.le_s(i32.add(get(i), i32.const(4)), get(i1)),
          rowsOf(4),
          inc(i, 4),
          inc(a, i32.shl(get(aRs), i32.const(2))),
          inc(c, i32.shl(get(bRs), i32.const(2))),
        ),
        whileLoop(i32.lt_s(get(i), get(i1)), rowsOf(1), inc(i, 1), inc(a, get(aRs)), inc(c, get(bRs))),
      ),
    ];
  });
}
