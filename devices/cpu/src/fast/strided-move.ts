import { contiguousStrides, dtypeBytes, isContiguous, sizeOf, type Shape } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuView } from "../views.ts";
import { address, chunking } from "./support.ts";
import { planRows, type RowPlan } from "./rows.ts";

/** The WASM loop walks four dims; deeper regions that do not merge down to four stay on the JavaScript path. */
const RANK = 4;

/** A region both sides walk in the same order: four dims (outermost first) and each side's byte strides. */
export interface MoveGeometry {
  readonly dims: readonly number[];
  readonly src: readonly number[];
  readonly dst: readonly number[];
}

/**
 * The region of `shape` read through `srcStrides` and written through `dstStrides` (elements),
 * with dims of size 1 dropped and neighbours merged where both sides step through them as one
 * run, padded to four dims; strides in bytes of `bytes`-byte elements. Undefined when more than
 * four dims remain, or when the destination would write one element twice (a zero or negative stride).
 */
export function moveGeometry(shape: Shape, srcStrides: readonly number[], dstStrides: readonly number[], bytes: number): MoveGeometry | undefined {
  const dims: number[] = [];
  const src: number[] = [];
  const dst: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    if (dstStrides[d]! <= 0) return undefined;
    const last = dims.length - 1;
    if (last >= 0 && src[last] === srcStrides[d]! * n && dst[last] === dstStrides[d]! * n) {
      dims[last]! *= n;
      src[last] = srcStrides[d]!;
      dst[last] = dstStrides[d]!;
    } else {
      dims.push(n);
      src.push(srcStrides[d]!);
      dst.push(dstStrides[d]!);
    }
  }
  if (dims.length > RANK) return undefined;
  // Padding dims are walked once, so their strides never move a pointer; a unit stride keeps the
  // innermost one a valid run when the whole region is a single element.
  while (dims.length < RANK) {
    dims.unshift(1);
    src.unshift(1);
    dst.unshift(1);
  }
  return { dims, src: src.map((s) => s * bytes), dst: dst.map((s) => s * bytes) };
}

/** Copies `count` elements of the region at byte address `from` to `to` with the WASM loop (across threads when large). */
export function runMove(path: FastPath, from: number, to: number, g: MoveGeometry): void {
  const total = g.dims[0]! * g.dims[1]! * g.dims[2]! * g.dims[3]!;
  if (total === 0) return;
  const n0 = g.dims[0]!;
  const per = chunking(path, total, n0);
  const args = [from, to, ...g.dims, ...g.src, ...g.dst, per];
  path.runtime.run(path.pool, "move4", args, Math.ceil(n0 / per), 0);
}

/** Whether two byte ranges [a, a + n) and [b, b + m) overlap. */
const overlaps = (a: number, n: number, b: number, m: number) => a < b + m && b < a + n;

/** The bytes a view's elements span in its buffer (first to last element, whatever the strides' signs). */
function span(view: CpuView): readonly [number, number] {
  const bytes = dtypeBytes(view.dtype);
  let low = view.offset;
  let high = view.offset;
  view.shape.forEach((n, d) => {
    const step = (n - 1) * view.strides[d]!;
    if (step < 0) low += step;
    else high += step;
  });
  return [low * bytes, (high - low + 1) * bytes];
}

/** The geometry of moving x's elements into y (4-byte elements), or undefined when the WASM loop cannot walk it. */
export const viewMoveGeometry = (x: CpuView, y: CpuView): MoveGeometry | undefined =>
  dtypeBytes(x.dtype) === 4 && dtypeBytes(y.dtype) === 4 ? moveGeometry(x.shape, x.strides, y.strides, 4) : undefined;

/**
 * x's elements into y (same shape; any strides on either side, y's must not repeat an element) with
 * the WASM loop, for 4-byte dtypes in the WASM memory whose regions do not overlap; `g` is
 * viewMoveGeometry(x, y), which callers may keep per call. False when it declines (the caller's
 * JavaScript path then moves them).
 */
export function moveView(path: FastPath, x: CpuView, y: CpuView, g: MoveGeometry | undefined = viewMoveGeometry(x, y)): boolean {
  if (!g) return false;
  const from = address(x);
  const to = address(y);
  if (from === undefined || to === undefined) return false;
  if (x.buffer === y.buffer) {
    const [a, n] = span(x);
    const [b, m] = span(y);
    if (overlaps(a, n, b, m)) return false;
  }
  runMove(path, from, to, g);
  return true;
}

/**
 * Runs `use` on a contiguous copy of a strided 4-byte view (a transposed or sliced tensor the graph
 * hands a kernel) placed in the WASM arena for the duration of the call: one WASM move, or a
 * JavaScript loop for a region deeper than four dims (`g`: its geometry, which callers may keep
 * per call). Undefined when the view is not in the WASM
 * memory or there is no room for the copy.
 */
export function withContiguousArena<T>(
  path: FastPath,
  view: CpuView,
  use: (address: number) => T,
  g: MoveGeometry | undefined = moveGeometry(view.shape, view.strides, contiguousStrides(view.shape), 4),
): T | undefined {
  const from = address(view);
  if (from === undefined || dtypeBytes(view.dtype) !== 4) return undefined;
  const n = sizeOf(view.shape);
  const bytes = Math.max(64, n * 4);
  const rt = path.runtime;
  const copy = rt.arena.alloc(bytes);
  if (copy === undefined) return undefined;
  try {
    if (g) runMove(path, from, copy, g);
    else gatherInto(rt.i32, from / 4, view.shape, view.strides, copy / 4);
    return use(copy);
  } finally {
    rt.arena.free(copy, bytes);
  }
}

/** The strided region at element `src` of `memory` into the contiguous run at element `dst`, row by row. */
function gatherInto(memory: Int32Array, src: number, shape: Shape, strides: readonly number[], dst: number): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  const last = shape[rank - 1] ?? 1;
  const step = strides[rank - 1] ?? 1;
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  for (let o = 0; o < n; o += last) {
    let from = src;
    for (let d = 0; d < rank - 1; d++) from += index[d]! * strides[d]!;
    for (let i = 0; i < last; i++) memory[dst + o + i] = memory[from + i * step]!;
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
}

/** How to read a view through a contiguous copy: its move geometry (4-byte elements only). */
const copyGeometry = (v: Pick<CpuView, "shape" | "strides" | "dtype">): MoveGeometry | undefined =>
  dtypeBytes(v.dtype) === 4 ? moveGeometry(v.shape, v.strides, contiguousStrides(v.shape), 4) : undefined;

/**
 * The row walk of an elementwise output of `shape` over `views` when some are strided along the
 * rows (transposed views, which the row loops cannot read): those read through contiguous copies
 * (`moves[k]`, undefined for views read in place). First only the views that cannot be walked on
 * their own are copied, then every non-contiguous one. Undefined when even that does not plan or
 * a view to copy is not of 4-byte elements.
 */
export function rowsThroughCopies(
  shape: Shape,
  views: readonly Pick<CpuView, "shape" | "strides" | "dtype">[],
  minRows = 1,
): { plan: RowPlan; moves: (MoveGeometry | undefined)[] } | undefined {
  const alone = views.map((v) => planRows(shape, [v]) === undefined);
  const strided = views.map((v) => !isContiguous(v.shape, v.strides));
  for (const pick of [alone, strided]) {
    const moves = views.map((v, k) => (pick[k] ? copyGeometry(v) : undefined));
    if (moves.some((g, k) => pick[k] && !g)) continue;
    const plan = planRows(
      shape,
      views.map((v, k) => (pick[k] ? { shape: v.shape, strides: contiguousStrides(v.shape) } : v)),
      minRows,
    );
    if (plan) return { plan, moves };
  }
  return undefined;
}

/**
 * Runs `use` on the views' addresses, those with a geometry in `moves` replaced by contiguous
 * copies in the WASM arena (freed after). Undefined when a view is not in the WASM memory or the
 * arena has no room.
 */
export function withCopies<T>(
  path: FastPath,
  views: readonly CpuView[],
  moves: readonly (MoveGeometry | undefined)[],
  use: (addresses: number[]) => T,
): T | undefined {
  const arena = path.runtime.arena;
  const held: [number, number][] = [];
  try {
    const addresses: number[] = [];
    for (let k = 0; k < views.length; k++) {
      const from = address(views[k]!);
      if (from === undefined) return undefined;
      const g = moves[k];
      if (!g) {
        addresses.push(from);
        continue;
      }
      const bytes = Math.max(64, sizeOf(views[k]!.shape) * 4);
      const copy = arena.alloc(bytes);
      if (copy === undefined) return undefined;
      held.push([copy, bytes]);
      runMove(path, from, copy, g);
      addresses.push(copy);
    }
    return use(addresses);
  } finally {
    for (const [copy, bytes] of held) arena.free(copy, bytes);
  }
}
