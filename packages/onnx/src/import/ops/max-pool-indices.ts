import { UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { bin, castTo } from "./helpers.ts";
import type { WindowAttrs } from "./pooling-geometry.ts";

/** The most taps (windows × kernel elements) the Indices tables may hold: two int32 constants of 128 MiB each. */
const MAX_TABLE = 1 << 25;

/**
 * MaxPool's Indices output: for each window, the flat position of its maximum in the input —
 * ((n·C + c)·H + h)·W + w for storage_order 0, the spatial part column-major (h + w·H) for 1.
 * onnxruntime starts each window at its first tap inside the input and moves on only to a tap
 * strictly greater, so ties go to the first tap, padding never wins, and NaN wins only as that
 * first tap (nothing compares greater than it). The same rule here: the taps are gathered into
 * [N·C, windows, taps] (padding reads a slot past the plane), argMax picks the first real tap
 * equal to the maximum of the non-NaN values, unless the first real tap is NaN.
 */
export function maxPoolIndices(ctx: ImportContext, x: string, win: WindowAttrs, outSpatial: readonly number[], storageOrder: number, out?: string): string {
  const [n, c, ...spatial] = ctx.shape(x, "MaxPool's Indices output");
  const rows = n! * c!;
  const plane = spatial.reduce((a, b) => a * b, 1);
  const tableSize = outSpatial.reduce((a, b) => a * b, 1) * win.kernel.reduce((a, b) => a * b, 1);
  if (tableSize > MAX_TABLE)
    throw new UnsupportedOpError(
      `${ctx.where()}: MaxPool's Indices over [${outSpatial.join(", ")}] windows of [${win.kernel.join(", ")}] need a table of ${tableSize} taps (at most ${MAX_TABLE})`,
    );
  const { taps, positions, windows, perWindow, firstReal } = windowTable(win, spatial, outSpatial, storageOrder === 1);
  const fx = castTo(ctx, x, "float32");
  const padded = ctx.op(
    "concat",
    [ctx.op("reshape", [fx], { shape: [rows, plane] }), ctx.op("fill", [], { shape: [rows, 1], dtype: "float32", value: -Infinity })],
    {
      axis: 1,
    },
  );
  const gathered = ctx.op("gather", [padded, ctx.const(taps, [taps.length], "int32")], { axis: 1 });
  const values = ctx.op("reshape", [gathered], { shape: [rows, windows, perWindow] });
  const numbers = ctx.op("where", [ctx.op("isNaN", [values]), ctx.scalar(-Infinity, "float32"), values]);
  const max = ctx.op("reduceMax", [numbers], { axes: [2], keepDims: true });
  const inInput = ctx.const(
    Uint8Array.from(taps, (t) => (t === plane ? 0 : 1)),
    [windows, perWindow],
    "bool",
  );
  const wins = ctx.op("cast", [ctx.op("logicalAnd", [bin(ctx, "equal", numbers, max), inInput])], { to: "uint8" });
  const firstTaps = Int32Array.from(firstReal, (t, p) => taps[p * perWindow + t]!);
  const firstIsNaN = ctx.op("isNaN", [ctx.op("gather", [padded, ctx.const(firstTaps, [windows], "int32")], { axis: 1 })]);
  const tap = ctx.op("where", [firstIsNaN, ctx.const(firstReal, [windows], "int32"), ctx.op("argMax", [wins], { axis: 2 })]);
  const entry = bin(
    ctx,
    "add",
    tap,
    ctx.const(
      Int32Array.from({ length: windows }, (_, p) => p * perWindow),
      [windows],
      "int32",
    ),
  );
  const local = ctx.op("gather", [ctx.const(positions, [positions.length], "int32"), entry], { axis: 0 });
  const flat = bin(
    ctx,
    "add",
    local,
    ctx.const(
      Int32Array.from({ length: rows }, (_, r) => r * plane),
      [rows, 1],
      "int32",
    ),
  );
  return ctx.op("reshape", [flat], { shape: [n!, c!, ...outSpatial] }, out);
}

/**
 * For each output window (row-major) and each tap of it (row-major): the tap's row-major position
 * in the plane, or `plane` for padding (`taps`), and its position as Indices reports it
 * (`positions`); and each window's first tap inside the input (`firstReal`).
 */
function windowTable(win: WindowAttrs, spatial: readonly number[], outSpatial: readonly number[], columnMajor: boolean) {
  const r = spatial.length;
  const plane = spatial.reduce((a, b) => a * b, 1);
  const windows = outSpatial.reduce((a, b) => a * b, 1);
  const perWindow = win.kernel.reduce((a, b) => a * b, 1);
  const taps = new Int32Array(windows * perWindow);
  const positions = new Int32Array(windows * perWindow);
  const firstReal = new Int32Array(windows).fill(-1);
  const o = new Array<number>(r).fill(0);
  const k = new Array<number>(r).fill(0);
  for (let p = 0; p < windows; p++) {
    unflatten(p, outSpatial, o);
    for (let t = 0; t < perWindow; t++) {
      unflatten(t, win.kernel, k);
      let rowMajor = 0;
      let colMajor = 0;
      let inside = true;
      for (let d = 0, colStride = 1; d < r; colStride *= spatial[d]!, d++) {
        const at = o[d]! * win.strides[d]! - win.pads[d]! + k[d]! * win.dilations[d]!;
        if (at < 0 || at >= spatial[d]!) inside = false;
        rowMajor = rowMajor * spatial[d]! + at;
        colMajor += at * colStride;
      }
      taps[p * perWindow + t] = inside ? rowMajor : plane;
      if (inside && firstReal[p] === -1) firstReal[p] = t;
      positions[p * perWindow + t] = inside ? (columnMajor ? colMajor : rowMajor) : -1;
    }
  }
  // A window of padding only (pads as wide as the kernel) reads its pad slot.
  firstReal.forEach((t, p) => (firstReal[p] = Math.max(t, 0)));
  return { taps, positions, windows, perWindow, firstReal };
}

/** The row-major coordinates of flat index `i` in `dims`, written into `into`. */
function unflatten(i: number, dims: readonly number[], into: number[]): void {
  for (let d = dims.length - 1, rest = i; d >= 0; d--) {
    into[d] = rest % dims[d]!;
    rest = Math.floor(rest / dims[d]!);
  }
}
