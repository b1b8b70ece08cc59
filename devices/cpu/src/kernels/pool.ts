import { boolAttr, formatShape, listAttr, shapesEqual, ShapeError, window2d, type Attrs, type Shape, type Window2d } from "@polychip/hal";
import { openOutput, readValues } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

interface PoolGeometry {
  /** N·C planes of H×W. */
  readonly planes: number;
  readonly H: number;
  readonly W: number;
  readonly win: Window2d;
}

function geometry(op: string, xShape: Shape, attrs: Attrs): PoolGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D (NCHW), got ${formatShape(xShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [kh, kw] = listAttr(op, attrs, "kernel") as [number, number];
  return { planes: N * C, H, W, win: window2d(op, H, W, kh, kw, attrs) };
}

function checkGradOut(op: string, g: PoolGeometry, xShape: Shape, shape: Shape): void {
  const expected = [xShape[0]!, xShape[1]!, g.win.oh, g.win.ow];
  if (!shapesEqual(shape, expected)) throw new ShapeError(`${op}: gradOut must be ${formatShape(expected)}, got ${formatShape(shape)}`);
}

/**
 * Index (within the plane) of the max of one window: the first in row-major window order on ties,
 * the first NaN if any (NaN propagates), -1 when every tap lies in the padding.
 */
function argMaxInWindow(g: PoolGeometry, x: ArrayLike<number>, base: number, oh: number, ow: number): number {
  const { H, W } = g;
  const { kh, kw, sh, sw, dh, dw, pt, pl } = g.win;
  let best = -1;
  let m = -Infinity;
  for (let ki = 0, ih = oh * sh - pt; ki < kh; ki++, ih += dh) {
    if (ih < 0 || ih >= H) continue;
    for (let kj = 0, iw = ow * sw - pl; kj < kw; kj++, iw += dw) {
      if (iw < 0 || iw >= W) continue;
      const v = x[base + ih * W + iw]!;
      if (v !== v) return ih * W + iw;
      if (v > m || best < 0) {
        m = v;
        best = ih * W + iw;
      }
    }
  }
  return best;
}

/** Taps of one window along one axis inside [lo, hi). */
function tapsWithin(start: number, k: number, d: number, lo: number, hi: number): number {
  let n = 0;
  for (let i = 0, p = start; i < k; i++, p += d) if (p >= lo && p < hi) n++;
  return n;
}

/**
 * The avgPool2d divisor of window (oh, ow). countIncludePad = false: the taps inside the input.
 * countIncludePad = true: the taps inside the padded input — the window clipped to
 * [-pads_begin, size + pads_end), as PyTorch and ONNX count it (so with ceilMode a window that
 * runs past the end padding counts fewer). A window entirely in padding averages to 0.
 */
function divisor(g: PoolGeometry, includePad: boolean, oh: number, ow: number): number {
  const { kh, kw, sh, sw, dh, dw, pt, pl, pb, pr } = g.win;
  const h0 = oh * sh - pt;
  const w0 = ow * sw - pl;
  return includePad
    ? tapsWithin(h0, kh, dh, -pt, g.H + pb) * tapsWithin(w0, kw, dw, -pl, g.W + pr)
    : tapsWithin(h0, kh, dh, 0, g.H) * tapsWithin(w0, kw, dw, 0, g.W);
}

export const poolKernels: CpuRegistration[] = [
  /** Padding never wins: padded taps are skipped, not read as -Inf or 0. */
  cpuKernel("maxPool2d", ({ inputs: [x], outputs: [y], attrs }) => {
    const g = geometry("maxPool2d", x!.shape, attrs);
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    const plane = g.H * g.W;
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      for (let oh = 0; oh < g.win.oh; oh++) {
        for (let ow = 0; ow < g.win.ow; ow++, o++) {
          const at = argMaxInWindow(g, xs, p * plane, oh, ow);
          v[o] = at < 0 ? -Infinity : xs[p * plane + at]!;
        }
      }
    }
    out.commit();
  }),

  /** Each window's gradient goes to its first max (as maxPool2d picks it); overlapping windows accumulate. */
  cpuKernel("maxPool2dGrad", ({ inputs: [x, gradOut], outputs: [y], attrs }) => {
    const g = geometry("maxPool2dGrad", x!.shape, attrs);
    checkGradOut("maxPool2dGrad", g, x!.shape, gradOut!.shape);
    const xs = readValues(x!);
    const gs = readValues(gradOut!);
    const dx = new Float64Array(xs.length);
    const plane = g.H * g.W;
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      for (let oh = 0; oh < g.win.oh; oh++) {
        for (let ow = 0; ow < g.win.ow; ow++, o++) {
          const at = argMaxInWindow(g, xs, p * plane, oh, ow);
          if (at >= 0) dx[p * plane + at] += gs[o]!;
        }
      }
    }
    const out = openOutput(y!);
    out.values.set(dx);
    out.commit();
  }),

  cpuKernel("avgPool2d", ({ inputs: [x], outputs: [y], attrs }) => {
    const g = geometry("avgPool2d", x!.shape, attrs);
    const includePad = boolAttr(attrs, "countIncludePad");
    const { H, W } = g;
    const { kh, kw, sh, sw, dh, dw, pt, pl } = g.win;
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    const plane = H * W;
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      for (let oh = 0; oh < g.win.oh; oh++) {
        for (let ow = 0; ow < g.win.ow; ow++, o++) {
          let sum = 0;
          for (let ki = 0, ih = oh * sh - pt; ki < kh; ki++, ih += dh) {
            if (ih < 0 || ih >= H) continue;
            for (let kj = 0, iw = ow * sw - pl; kj < kw; kj++, iw += dw) if (iw >= 0 && iw < W) sum += xs[p * plane + ih * W + iw]!;
          }
          const count = divisor(g, includePad, oh, ow);
          v[o] = count > 0 ? sum / count : 0;
        }
      }
    }
    out.commit();
  }),

  /** Spreads each window's gradient evenly (by the forward divisor) over its taps inside the input. */
  cpuKernel("avgPool2dGrad", ({ inputs: [gradOut], outputs: [y], attrs }) => {
    const xShape = listAttr("avgPool2dGrad", attrs, "inputShape");
    const g = geometry("avgPool2dGrad", xShape, attrs);
    checkGradOut("avgPool2dGrad", g, xShape, gradOut!.shape);
    const includePad = boolAttr(attrs, "countIncludePad");
    const { H, W } = g;
    const { kh, kw, sh, sw, dh, dw, pt, pl } = g.win;
    const gs = readValues(gradOut!);
    const dx = new Float64Array(g.planes * H * W);
    const plane = H * W;
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      for (let oh = 0; oh < g.win.oh; oh++) {
        for (let ow = 0; ow < g.win.ow; ow++, o++) {
          const count = divisor(g, includePad, oh, ow);
          if (count === 0) continue;
          const share = gs[o]! / count;
          for (let ki = 0, ih = oh * sh - pt; ki < kh; ki++, ih += dh) {
            if (ih < 0 || ih >= H) continue;
            for (let kj = 0, iw = ow * sw - pl; kj < kw; kj++, iw += dw) if (iw >= 0 && iw < W) dx[p * plane + ih * W + iw] += share;
          }
        }
      }
    }
    const out = openOutput(y!);
    out.values.set(dx);
    out.commit();
  }),
];
