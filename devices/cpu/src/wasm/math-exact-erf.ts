/**
 * erf in float64 that returns the same doubles as the HAL's erf (hal/src/ops/erf.ts), bit for bit:
 * that erf reads a table of Taylor coefficients around every 1/32 on [0, 6] and evaluates a
 * degree-11 polynomial in h = |x| − centre by Estrin's scheme, which takes only IEEE double add and
 * multiply. The same table (the HAL's own doubles, written into the memory by a data segment at
 * ERF_TABLE_ADDRESS) and the same operations in the same order with WASM's f64 instructions (no
 * fused multiply-add) round the same way. A test compares both on millions of arguments.
 *
 * The scalar function and the f64x2 steps (used by math-exact-simd.ts) let fused float32 programs
 * with erf — GELU, x·0.5·(1 + erf(x/√2)) — run in the WASM loops and equal the eager ops exactly.
 */
import { erfTaylorTable, ERF_TABLE_LAYOUT } from "@polychip/hal";
import { uleb, type Code, type FunctionBuilder, type ModuleBuilder } from "./encoder.ts";
import { defineFunction, locals } from "./define.ts";
import { CONSTANT_TABLES_END, ERF_TABLE_ADDRESS } from "./constant-tables.ts";
import { f64, f64x2, get, i32, i32x4, i64, i64x2, ret, set, v128, when } from "./instructions.ts";

const { stepsPerUnit, centres, terms, limit } = ERF_TABLE_LAYOUT;
const ROW_BYTES = terms * 8;
const TABLE = erfTaylorTable();
const TABLE_BYTES = new Uint8Array(TABLE.buffer, TABLE.byteOffset, TABLE.byteLength);
if (ERF_TABLE_ADDRESS + TABLE_BYTES.length > CONSTANT_TABLES_END || terms !== 12 || ROW_BYTES % 16 !== 0) {
  throw new Error(`cpu: the erf table (${centres} × ${terms} doubles) does not fit its place among the constant tables`);
}
const STEP = 1 / stepsPerUnit;
const SIGN = -0x8000000000000000n;

/** Declares the table's data segment in `mod` (once per module, however many functions read it). */
export function declareErfTable(mod: ModuleBuilder): void {
  mod.data(ERF_TABLE_ADDRESS, TABLE_BYTES);
}

/**
 * The HAL's Estrin evaluation: q_j = (c_4j + h·c_4j+1) + h²·(c_4j+2 + h·c_4j+3), r = q0 + h⁴·(q1 + h⁴·q2).
 * `c(k)` is coefficient k, `h`, `h2`, `h4` locals; `add`/`mul` the lane width's instructions.
 */
function estrin(c: (k: number) => Code, h: Code, h2: Code, h4: Code, add: (a: Code, b: Code) => Code, mul: (a: Code, b: Code) => Code): Code {
  const q = (j: number): Code => add(add(c(4 * j), mul(h, c(4 * j + 1))), mul(h2, add(c(4 * j + 2), mul(h, c(4 * j + 3)))));
  return add(q(0), mul(h4, add(q(1), mul(h4, q(2)))));
}

const copysign = (a: Code, b: Code): Code => [a, b, 0xa6];

/** Declares `${prefix}erf` (f64 -> f64, the HAL's erf) and its table in `mod`; `exported` for tests. */
export function emitExactErf(mod: ModuleBuilder, prefix = "exact_", exported = false): FunctionBuilder {
  declareErfTable(mod);
  return defineFunction(mod, `${prefix}erf`, { params: { x: "f64" }, result: "f64", exported }, (p, fn) => {
    const [i, row] = [fn.local("i32"), fn.local("i32")];
    const [ax, h, h2, h4] = [fn.local("f64"), fn.local("f64"), fn.local("f64"), fn.local("f64")];
    return [
      when(f64.ne(get(p.x), get(p.x)), ret(f64.const(NaN))),
      set(ax, f64.abs(get(p.x))),
      when(f64.ge(get(ax), f64.const(limit)), ret(copysign(f64.const(1), get(p.x)))),
      // The nearest centre; i/32 is exact, as is i·(1/32).
      set(i, f64.trunc_sat_i32_s(f64.add(f64.mul(get(ax), f64.const(stepsPerUnit)), f64.const(0.5)))),
      set(h, f64.sub(get(ax), f64.mul(f64.convert_i32_s(get(i)), f64.const(STEP)))),
      set(row, i32.add(i32.mul(get(i), i32.const(ROW_BYTES)), i32.const(ERF_TABLE_ADDRESS))),
      set(h2, f64.mul(get(h), get(h))),
      set(h4, f64.mul(get(h2), get(h2))),
      // The polynomial is +0 at x = ±0 and positive elsewhere, so x's sign gives -r, x itself or r.
      copysign(
        estrin((k) => f64.load(get(row), 8 * k), get(h), get(h2), get(h4), f64.add, f64.mul),
        get(p.x),
      ),
    ];
  });
}

// f64x2 instructions instructions.ts does not list (SIMD opcodes).
const simd = (op: number, ...args: Code[]): Code => [args, 0xfd, ...uleb(op)];
const abs2 = (a: Code): Code => simd(0xec, a);
const trunc2 = (a: Code): Code => simd(0x7a, a);
const ge2 = (a: Code, b: Code): Code => simd(0x4c, a, b);
const splat = (v: number): Code => f64x2.splat(f64.const(v));
/** [a's low double, b's low double] and [a's high double, b's high double]. */
const LOWS = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGHS = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

/**
 * Statements that set the f64x2 local `out` to the HAL's erf of each lane of the f64x2 local `x`
 * (locals of `fn`; the module must hold the table: declareErfTable). Each lane's row of twelve
 * coefficients is read as six pairs; two rows' pairs are shuffled into the lanes' c_k. Lanes at or
 * past |x| = 6 (and NaN ones) read row 192 and then take ±1 (NaN stays NaN through h).
 */
export function erfSteps(fn: FunctionBuilder, x: number, out: number): Code[] {
  const [h2, h4, r] = locals(fn, "v128", 3);
  const row = rowSteps(fn, x, terms);
  return [
    row.code,
    set(h2, f64x2.mul(get(row.h), get(row.h))),
    set(h4, f64x2.mul(get(h2), get(h2))),
    set(r, estrin(row.c, get(row.h), get(h2), get(h4), f64x2.add, f64x2.mul)),
    signed(x, row.ax, r, out),
  ];
}

/** Taylor terms the quick evaluation keeps (c_0.. c_5): three pairs of a row. */
const QUICK_TERMS = 6;

/**
 * A bound on |quick − HAL| / |HAL| with a wide margin: the dropped terms c_6 h⁶ + ... with |h| at
 * most 1/64 come to at most 2^-37.5 of erf on the row's interval (measured over the table; at
 * centre 0, where erf ≈ 1.13x, to 2^-41), and the double rounding of either evaluation to ~2^-50.
 */
export const ERF_QUICK_RELATIVE_ERROR = 2 ** -33;

/**
 * Statements that set the f64x2 local `out` to the HAL's erf of each lane of `x` within
 * ERF_QUICK_RELATIVE_ERROR: the same rows and centres with the polynomial cut to degree five,
 * (c0 + h·c1) + h²·(c2 + h·c3) + h⁴·(c4 + h·c5). NaN stays NaN, ±1 from |x| = 6. The f32x4 erf
 * (math-exact-simd.ts) keeps it wherever that error cannot move the float32 rounding, and runs
 * erfSteps where it could.
 */
export function erfQuickSteps(fn: FunctionBuilder, x: number, out: number): Code[] {
  const [h2, h4, r] = locals(fn, "v128", 3);
  const { code, h, ax, c } = rowSteps(fn, x, QUICK_TERMS);
  const pair = (k: number): Code => f64x2.add(c(k), f64x2.mul(get(h), c(k + 1)));
  return [
    code,
    set(h2, f64x2.mul(get(h), get(h))),
    set(h4, f64x2.mul(get(h2), get(h2))),
    set(r, f64x2.add(f64x2.add(pair(0), f64x2.mul(get(h2), pair(2))), f64x2.mul(get(h4), pair(4)))),
    signed(x, ax, r, out),
  ];
}

/**
 * The lanes' rows: |x| in `ax`, h = |x| − its nearest centre, the first `count` coefficients of
 * both lanes' rows loaded as pairs, and `c(k)`, coefficient k of each lane (a shuffle of two pairs).
 */
function rowSteps(fn: FunctionBuilder, x: number, count: number): { code: Code[]; ax: number; h: number; c: (k: number) => Code } {
  const [ax, t, h, rows] = locals(fn, "v128", 4);
  const pairs = locals(fn, "v128", count);
  const [row0, row1] = locals(fn, "i32", 2);
  const code = [
    set(ax, abs2(get(x))),
    set(t, trunc2(f64x2.add(f64x2.mul(get(ax), splat(stepsPerUnit)), splat(0.5)))),
    set(h, f64x2.sub(get(ax), f64x2.mul(get(t), splat(STEP)))),
    set(rows, i32x4.min_s(i32x4.trunc_sat_f64x2_s_zero(get(t)), i32x4.splat(i32.const(centres - 1)))),
    set(rows, i32x4.add(i32x4.mul(get(rows), i32x4.splat(i32.const(ROW_BYTES))), i32x4.splat(i32.const(ERF_TABLE_ADDRESS)))),
    set(row0, i32x4.extractLane(get(rows), 0)),
    set(row1, i32x4.extractLane(get(rows), 1)),
    Array.from({ length: count / 2 }, (_, j) => [set(pairs[2 * j]!, v128.load(get(row0), 16 * j)), set(pairs[2 * j + 1]!, v128.load(get(row1), 16 * j))]),
  ];
  const c = (k: number): Code => v128.shuffle(get(pairs[2 * (k >> 1)]!), get(pairs[2 * (k >> 1) + 1]!), k % 2 === 0 ? LOWS : HIGHS);
  return { code, ax, h, c };
}

/** `out` = r, 1 from |x| = 6 on, with x's sign. */
const signed = (x: number, ax: number, r: number, out: number): Code[] => [
  set(r, v128.bitselect(splat(1), get(r), ge2(get(ax), splat(limit)))),
  set(out, v128.or(get(r), v128.and(get(x), i64x2.splat(i64.const(SIGN))))),
];
