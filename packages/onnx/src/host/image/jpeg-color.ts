import { UnsupportedOpError } from "@polychip/hal";

/** One decoded component: `width`×`height` real samples in a plane of row pitch `pitch`. */
export interface Plane {
  readonly data: Uint8Array;
  readonly pitch: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Upsamples a component by (hx, vy) to full size as libjpeg(-turbo)'s default does (jdsample.c):
 * "fancy" triangular filters for 2×1, 1×2 and 2×2 (when the component is wider than 2 samples),
 * with its exact rounding biases and the edge samples repeated; plain replication otherwise.
 */
export function upsample(p: Plane, hx: number, vy: number, outWidth: number, outHeight: number): Plane {
  if (hx === 1 && vy === 1) return p;
  const fancy = p.width > 2;
  const out = new Uint8Array(outWidth * outHeight);
  const at = (x: number, y: number) => p.data[Math.min(Math.max(y, 0), p.height - 1) * p.pitch + Math.min(Math.max(x, 0), p.width - 1)]!;
  if (fancy && hx === 2 && vy === 1) {
    for (let y = 0; y < outHeight; y++)
      for (let x = 0; x < outWidth; x++) {
        const c = x >> 1;
        const odd = x & 1;
        out[y * outWidth + x] = (at(c, y) * 3 + at(odd ? c + 1 : c - 1, y) + (odd ? 2 : 1)) >> 2;
      }
  } else if (fancy && hx === 1 && vy === 2) {
    for (let y = 0; y < outHeight; y++) {
      const r = y >> 1;
      const odd = y & 1;
      for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = (at(x, r) * 3 + at(x, odd ? r + 1 : r - 1) + (odd ? 2 : 1)) >> 2;
    }
  } else if (fancy && hx === 2 && vy === 2) {
    for (let y = 0; y < outHeight; y++) {
      const r = y >> 1;
      const near = y & 1 ? r + 1 : r - 1;
      const colsum = (c: number) => at(c, r) * 3 + at(c, near);
      for (let x = 0; x < outWidth; x++) {
        const c = x >> 1;
        const odd = x & 1;
        out[y * outWidth + x] = (colsum(c) * 3 + colsum(odd ? c + 1 : c - 1) + (odd ? 7 : 8)) >> 4;
      }
    }
  } else {
    for (let y = 0; y < outHeight; y++) for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = at(Math.floor(x / hx), Math.floor(y / vy));
  }
  return { data: out, pitch: outWidth, width: outWidth, height: outHeight };
}

/** The integer upsampling ratio of a component, refused when not whole (libjpeg refuses it too). */
export function ratio(max: number, own: number, axis: string): number {
  if (max % own !== 0) throw new UnsupportedOpError(`JPEG: ${axis} sampling factors ${own} of ${max} (a fractional ratio) are not supported`);
  return max / own;
}

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number) => Math.floor(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** YCbCr → RGB with libjpeg's integer tables (jdcolor.c), into interleaved RGB. */
export function yccToRgb(y: Plane, cb: Plane, cr: Plane, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++)
    for (let x = 0; x < width; x++) {
      const Y = y.data[row * y.pitch + x]!;
      const b = cb.data[row * cb.pitch + x]!;
      const r = cr.data[row * cr.pitch + x]!;
      const o = (row * width + x) * 3;
      out[o] = clamp(Y + CR_R[r]!);
      out[o + 1] = clamp(Y + ((CB_G[b]! + CR_G[r]!) >> SCALEBITS));
      out[o + 2] = clamp(Y + CB_B[b]!);
    }
  return out;
}

/** Components already RGB (Adobe transform 0), interleaved. */
export function interleave(planes: readonly Plane[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * planes.length);
  for (let row = 0; row < height; row++)
    for (let x = 0; x < width; x++) planes.forEach((p, c) => (out[(row * width + x) * planes.length + c] = p.data[row * p.pitch + x]!));
  return out;
}
