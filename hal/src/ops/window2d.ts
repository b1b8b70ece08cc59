import type { Attrs } from "../device.ts";
import { ShapeError } from "../errors.ts";
import { boolAttr, listAttr } from "./attrs.ts";

/** Spatial geometry shared by conv and pooling: attrs strides [sh, sw], pads [top, left, bottom, right], dilations [dh, dw]. */
export interface Window2d {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number; oh: number; ow: number;
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

