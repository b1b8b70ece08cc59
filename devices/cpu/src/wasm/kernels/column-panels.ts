/**
 * The loop nest the narrow-row int8 GEMMs (integer-matmul.ts, matmul-dequantized.ts) share over
 * one chunk of C, rows r0..r1 and columns c0..c1: panels of `panelRows` rows; inside a panel,
 * groups of `cols` columns go outermost so that the group's slice of B (K × cols bytes) stays in
 * L1 while every row of the panel passes over it; rows in tiles of `rows` (the remainder by a
 * smaller tile); columns past the last whole group one output at a time.
 */
import type { Code, FunctionBuilder } from "../encoder.ts";
import { locals } from "../define.ts";
import { forRange, get, i32, ifElse, inc, minS, set, whileLoop } from "../instructions.ts";

export interface ColumnPanels {
  /** Locals holding the chunk's row and column ranges. */
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
  /** Locals the tile and single-output code read: the first row of the tile, the first column of the group. */
  readonly i: number;
  readonly j: number;
  readonly rows: number;
  readonly cols: number;
  readonly panelRows: number;
  /** Rows i.. i+rows, columns j.. j+cols. */
  readonly tile: (rows: number) => Code[];
  /** Row i, column j alone. */
  readonly single: Code[];
  /** Run for each group of columns j.. j+cols of a panel before its row tiles (optional). */
  readonly group?: Code[];
}

export function columnPanels(fn: FunctionBuilder, o: ColumnPanels): Code {
  const [i0, iEnd, left] = locals(fn, "i32", 3);
  const tail = (rows: number): Code[] => (rows === 0 ? [] : [ifElse(i32.eq(get(left), i32.const(rows)), o.tile(rows), tail(rows - 1))]);
  return forRange(
    i0,
    get(o.r0),
    get(o.r1),
    o.panelRows,
    set(iEnd, minS(i32.add(get(i0), i32.const(o.panelRows)), get(o.r1))),
    set(o.j, get(o.c0)),
    whileLoop(
      i32.le_s(i32.add(get(o.j), i32.const(o.cols)), get(o.c1)),
      o.group ?? [],
      set(o.i, get(i0)),
      whileLoop(i32.le_s(i32.add(get(o.i), i32.const(o.rows)), get(iEnd)), o.tile(o.rows), inc(o.i, o.rows)),
      set(left, i32.sub(get(iEnd), get(o.i))),
      tail(o.rows - 1),
      inc(o.j, o.cols),
    ),
    whileLoop(i32.lt_s(get(o.j), get(o.c1)), forRange(o.i, get(i0), get(iEnd), 1, o.single), inc(o.j, 1)),
  );
}
