import type { HostTensor } from "./params.ts";

/** Conv weight [out, in, kh, kw] (PyTorch/ONNX) → [kh, kw, in, out] (tfjs). */
export function oihwToHwio(t: HostTensor): HostTensor {
  const [o, i, h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let oo = 0; oo < o; oo++)
    for (let ii = 0; ii < i; ii++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((y * w + x) * i + ii) * o + oo] = t.data[((oo * i + ii) * h + y) * w + x]!;
  return { shape: [h, w, i, o], data: out };
}

/** Linear weight [out, in] → [in, out] (x·W form). */
export function transpose2d(t: HostTensor): HostTensor {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c]!;
  return { shape: [cols, rows], data: out };
}

/** Images [n, c, h, w] → [n, h, w, c]. */
export function nchwToNhwc(data: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x]!;
  return out;
}

/**
 * The first linear layer after an NCHW flatten reads features in (c, h, w) order; after an NHWC
 * flatten they come in (h, w, c) order. Reorders its [out, c*h*w] weight so both layouts compute
 * the same function.
 */
export function chwColumnsToHwc(t: HostTensor, c: number, h: number, w: number): HostTensor {
  const [rows] = t.shape as [number, number];
  const out = new Float32Array(t.data.length);
  const cols = c * h * w;
  for (let r = 0; r < rows; r++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[r * cols + (y * w + x) * c + ch] = t.data[r * cols + (ch * h + y) * w + x]!;
  return { shape: t.shape, data: out };
}

/** Images [n, h, w, c] → [n, c, h, w]. */
export function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[((b * c + ch) * h + y) * w + x] = data[((b * h + y) * w + x) * c + ch]!;
  return out;
}
