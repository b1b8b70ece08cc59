import type { DType } from "../../dtype.ts";
import { ShapeError } from "../../errors.ts";
import { contiguousStrides, formatShape, type Shape } from "../../shape.ts";
import type { DecompositionContext } from "../types.ts";
import type { Window2d } from "../window2d.ts";

/**
 * Shared building blocks of the reference decompositions. A decomposition's inputs may be any
 * strided views, so it only ever hands them to `call` (which makes them contiguous where an op
 * needs it), `copyInto` (a copy reads any view) or `reshape` (which copies a non-contiguous
 * value). `view` is applied only to values that `call`, `constant` or `reshape` returned, which
 * are contiguous.
 */

/** Zeros (or `value`) of a shape: the only way to get a fresh buffer from primitives. */
export function filled<V>(ctx: DecompositionContext<V>, shape: Shape, dtype: DType, value: number | boolean): V {
  return ctx.call("fill", [], { shape: [...shape], dtype, value });
}

/** A contiguous copy of `v` broadcast to `shape` (trailing-aligned, like NumPy). */
export function expandTo<V>(ctx: DecompositionContext<V>, v: V, shape: Shape): V {
  const src = ctx.meta(v).shape;
  const strides = contiguousStrides(src);
  const lead = shape.length - src.length;
  const view = shape.map((d, i) => (i < lead || src[i - lead] === 1 ? 0 : strides[i - lead]!));
  return ctx.call("copy", [ctx.view(v, shape, view, 0)]);
}

/**
 * Rows of `x` (viewed as [rows, len]) with one extra element `value` appended to each row. Index
 * tables point window taps that fall outside the input at that element, so padding needs no
 * branching in any kernel: 0 for convolution and average pooling, -Infinity for max pooling.
 */
export function withPadSlot<V>(ctx: DecompositionContext<V>, x: V, rows: number, len: number, value: number): V {
  const out = filled(ctx, [rows, len + 1], ctx.meta(x).dtype, value);
  ctx.copyInto(out, { shape: [rows, len], strides: [len + 1, 1], offset: 0 }, ctx.reshape(x, [rows, len]));
  return out;
}

/** The inverse of `withPadSlot`: a contiguous [rows, len] without the last element of each row. */
export function withoutPadSlot<V>(ctx: DecompositionContext<V>, v: V, rows: number, len: number): V {
  return ctx.call("copy", [ctx.view(v, [rows, len], [len + 1, 1], 0)]);
}

/**
 * Host-side im2col table for one h×w plane: entry (tap k = i*kw + j, output p = oy*ow + ox) is the
 * flat input position read by that tap, or h*w (the pad slot) when it lies in the padding.
 * `order` "tap-major" gives a [K, P] table (convolution), "window-major" a [P, K] one (pooling,
 * where the window is reduced along the last axis).
 */
export function windowIndices(win: Window2d, h: number, w: number, order: "tap-major" | "window-major"): Int32Array {
  const k = win.kh * win.kw;
  const p = win.oh * win.ow;
  const table = new Int32Array(k * p);
  for (let i = 0; i < win.kh; i++) {
    for (let j = 0; j < win.kw; j++) {
      const tap = i * win.kw + j;
      for (let oy = 0; oy < win.oh; oy++) {
        const y = oy * win.sh - win.pt + i * win.dh;
        for (let ox = 0; ox < win.ow; ox++) {
          const x = ox * win.sw - win.pl + j * win.dw;
          const pos = y >= 0 && y < h && x >= 0 && x < w ? y * w + x : h * w;
          const out = oy * win.ow + ox;
          table[order === "tap-major" ? tap * p + out : out * k + tap] = pos;
        }
      }
    }
  }
  return table;
}

/** Throws a ShapeError naming the op when a gradient input does not have the shape the forward op produced. */
export function requireShape(op: string, what: string, actual: Shape, expected: Shape): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${op}: ${what} must be ${formatShape(expected)}, got ${formatShape(actual)}`);
  }
}

/** Reads a 4-D NCHW shape attribute (inputShape/weightShape) with an error naming the op. */
export function shape4(op: string, name: string, shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`${op}: attribute '${name}' must be a 4-D shape, got ${formatShape(shape)}`);
  }
  return shape as [number, number, number, number];
}
