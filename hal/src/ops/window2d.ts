import type { Attrs } from "../device.ts";
import { ShapeError } from "../errors.ts";
import { formatShape, type Shape } from "../shape.ts";
import { boolAttr, listAttr, numAttr } from "./attrs.ts";

/** Spatial geometry shared by conv and pooling: attrs strides [sh, sw], pads [top, left, bottom, right], dilations [dh, dw]. */
export interface Window2d {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  oh: number;
  ow: number;
}

export function window2d(op: string, h: number, w: number, kh: number, kw: number, attrs: Attrs): Window2d {
  const [sh, sw] = listAttr(op, attrs, "strides", [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = listAttr(op, attrs, "pads", [0, 0, 0, 0]) as [number, number, number, number];
  const [dh, dw] = listAttr(op, attrs, "dilations", [1, 1]) as [number, number];
  const ceil = boolAttr(attrs, "ceilMode");
  const out = (size: number, k: number, s: number, d: number, p0: number, p1: number) => {
    const span = size + p0 + p1 - d * (k - 1) - 1;
    let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceil && (o - 1) * s >= size + p0) o--; // the last window must start inside the input or left padding
    return o;
  };
  const oh = out(h, kh, sh, dh, pt, pb);
  const ow = out(w, kw, sw, dw, pl, pr);
  if (!(sh > 0 && sw > 0 && dh > 0 && dw > 0) || oh <= 0 || ow <= 0) {
    throw new ShapeError(`${op}: window ${kh}x${kw} (strides ${sh},${sw}, pads ${pt},${pl},${pb},${pr}, dilations ${dh},${dw}) does not fit input ${h}x${w}`);
  }
  return { kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow };
}

/** Sizes of one conv2d: x [N, C, H, W], w [OC, Cg, KH, KW], y [N, OC, win.oh, win.ow], in `groups` groups of Cg input and OCg output channels. */
export interface Conv2dGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly OC: number;
  readonly Cg: number;
  readonly OCg: number;
  readonly KH: number;
  readonly KW: number;
  readonly groups: number;
  readonly win: Window2d;
}

/**
 * The checked geometry of a conv2d (and of its gradients and quantised form): both operands 4-D
 * (NCHW), channels matching `groups`, the window fitting. Shape rules and every device's kernels
 * read it from here, so they refuse the same inputs with the same message.
 */
export function conv2dGeometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs): Conv2dGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D (NCHW), got ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weight must be 4-D (NCHW), got ${formatShape(wShape)}`);
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [OC, Cg, KH, KW] = wShape as [number, number, number, number];
  const groups = numAttr(op, attrs, "groups", 1);
  if (!(Number.isInteger(groups) && groups >= 1) || C !== Cg * groups || OC % groups !== 0) {
    throw new ShapeError(
      `${op}: input ${formatShape(xShape)} has ${C} channels but weight ${formatShape(wShape)} with groups=${groups} expects ${Cg * groups}`,
    );
  }
  return { N, C, H, W, OC, Cg, OCg: OC / groups, KH, KW, groups, win: window2d(op, H, W, KH, KW, attrs) };
}
