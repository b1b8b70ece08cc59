/**
 * The geometry record the im2col-based conv kernels read (conv.ts, conv-pack.ts), and the address
 * arithmetic they share.
 */
import type { Code, FunctionBuilder } from "../encoder.ts";
import { locals } from "../define.ts";
import { choose, get, i32, maxS, minS, set } from "../instructions.ts";
import { Struct } from "../struct.ts";
import { GEMM_SCRATCH_BYTES } from "./gemm.ts";

/** The geometry record every conv kernel reads. Pointers are byte addresses; `blockA/B`, `countA/B` describe the chunking. */
export const CONV = new Struct([
  "image",
  "weight",
  "gradOut",
  "out",
  "bias",
  "partial",
  "partialStride",
  "N",
  "C",
  "H",
  "W",
  "OC",
  "KH",
  "KW",
  "sh",
  "sw",
  "dh",
  "dw",
  "pt",
  "pl",
  "OH",
  "OW",
  "groups",
  "Cg",
  "OCg",
  "R",
  "P",
  "pointwise",
  "blockA",
  "countA",
  "blockB",
  "countB",
  /** Forward only: 1 packs the GEMM's panels from a padded copy of the input (conv-pack.ts), 0 unfolds a cols matrix. */
  "packFromInput",
  /**
   * Forward only: what blockB/countB split each (image, group, block of rows) chunk into: 0 blocks
   * of blockB output channels, 1 blocks of blockB output columns (the chunk then holds one row).
   * One-dimensional convs (OH = 1) have no rows to split.
   */
  "splitColumns",
] as const);

/** Scratch bytes of the forward's per-chunk copy of the record (a column block's own geometry for the packer). */
export const CHUNK_RECORD_BYTES = Math.ceil(CONV.bytes / 16) * 16;

/** Scratch offset of the cols matrix, after the GEMM's packing buffers. */
export const COLS_OFFSET = GEMM_SCRATCH_BYTES;

export const mul = (...xs: Code[]): Code => xs.reduce((acc, x) => i32.mul(acc, x));

/**
 * Chunk `ch` of a job over (image, group, block of blockA) chunks, `per` = groups·countA chunks
 * per image, into locals: image n, group grp and the block's first index `first` (rem: scratch).
 */
export const decodeChunk = (g: Readonly<Record<string, number>>, ch: number, per: number, n: number, rem: number, grp: number, first: number): Code => [
  set(n, i32.div_u(get(ch), get(per))),
  set(rem, i32.sub(get(ch), i32.mul(get(n), get(per)))),
  set(grp, i32.div_u(get(rem), get(g.countA!))),
  set(first, i32.mul(i32.sub(get(rem), i32.mul(get(grp), get(g.countA!))), get(g.blockA!))),
];
export const add = (...xs: Code[]): Code => xs.reduce((acc, x) => i32.add(acc, x));
export const bytes = (elements: Code): Code => i32.shl(elements, i32.const(2));
/** ceil(a / b) for b > 0, and 0 for a <= 0. */
export const ceilDivPositive = (a: Code, b: Code): Code =>
  choose("i32", i32.gt_s(a, i32.const(0)), i32.div_s(i32.sub(i32.add(a, b), i32.const(1)), b), i32.const(0));

/** Where row r of the cols matrix (input channel c, tap ki, kj) reads the input, as locals. */
export interface ColsRow {
  readonly code: Code;
  /** Input channel within the group. */
  readonly c: number;
  /** Tap row. */
  readonly ki: number;
  /** Output column ow reads input column ow·sw + off. */
  readonly off: number;
  /** Output columns [lo, hi) read inside the input row; the others read padding. */
  readonly lo: number;
  readonly hi: number;
}

/** Decodes cols row `r` (a local) for the geometry `g`; `taps` is a local holding KH·KW. */
export function colsRow(fn: FunctionBuilder, g: Readonly<Record<string, number>>, r: number, taps: number): ColsRow {
  const [c, ki, kj, off, lo, hi] = locals(fn, "i32", 6);
  const code = [
    set(c, i32.div_u(get(r), get(taps))),
    set(ki, i32.sub(get(r), i32.mul(get(c), get(taps)))),
    set(kj, i32.sub(get(ki), i32.mul(i32.div_u(get(ki), get(g.KW!)), get(g.KW!)))),
    set(ki, i32.div_u(get(ki), get(g.KW!))),
    set(off, i32.sub(i32.mul(get(kj), get(g.dw!)), get(g.pl!))),
    set(lo, minS(ceilDivPositive(i32.sub(i32.const(0), get(off)), get(g.sw!)), get(g.OW!))),
    set(hi, maxS(minS(ceilDivPositive(i32.sub(get(g.W!), get(off)), get(g.sw!)), get(g.OW!)), get(lo))),
  ];
  return { code, c, ki, off, lo, hi };
}
