import { broadcastStrides, sizeOf, type Shape } from "@polychip/hal";

/**
 * An elementwise output walked as rows: `rows` rows of `rowLen` elements (the last may be
 * shorter), where each input advances by `inner[k]` elements (1, or 0 for a broadcast) along a row
 * and starts row r at element offset `offsets[r·inputs + k]` (relative to the view's own offset).
 */
export interface RowPlan {
  readonly total: number;
  readonly rows: number;
  readonly rowLen: number;
  readonly inner: readonly number[];
  readonly offsets: Int32Array;
}

/** Longest row when the whole output is one contiguous run: splits it so threads can share it. */
const MAX_ROW = 1 << 14;

/**
 * Plans the rows of `inputs` broadcast to `shape`: dims of size 1 dropped, neighbours merged
 * wherever every input steps through them as one run (cut into `minRows` rows or more when the
 * whole output is one run, so threads can share a short but costly one). Undefined when some input's innermost
 * stride is neither 0 nor 1 (a transposed view), which the reference kernels handle.
 */
export function planRows(shape: Shape, inputs: readonly { readonly shape: Shape; readonly strides: readonly number[] }[], minRows = 1): RowPlan | undefined {
  const total = sizeOf(shape);
  const all = inputs.map((v) => broadcastStrides(v.shape, v.strides, shape));
  const dims: number[] = [];
  const strides: number[][] = inputs.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && all.every((s, k) => strides[k]![last] === s[d]! * shape[d]!)) {
      dims[last]! *= shape[d]!;
      all.forEach((s, k) => (strides[k]![last] = s[d]!));
    } else {
      dims.push(shape[d]!);
      all.forEach((s, k) => strides[k]!.push(s[d]!));
    }
  }
  const innerLen = dims.length ? dims[dims.length - 1]! : 1;
  const inner = strides.map((s) => (s.length ? s[s.length - 1]! : 0));
  if (inner.some((s) => s !== 0 && s !== 1)) return undefined;
  const outer = dims.slice(0, -1);
  const outerStrides = strides.map((s) => s.slice(0, -1));
  if (outer.length === 0) {
    // One run: cut it into rows of MAX_ROW, and into `minRows` rows (of whole vectors) at least.
    const rowLen = Math.min(Math.max(innerLen, 1), MAX_ROW, Math.max(4, Math.ceil(total / minRows / 4) * 4));
    const rows = Math.max(1, Math.ceil(total / rowLen));
    const offsets = new Int32Array(rows * inputs.length);
    for (let r = 0; r < rows; r++) inner.forEach((s, k) => (offsets[r * inputs.length + k] = r * rowLen * s));
    return { total, rows, rowLen, inner, offsets };
  }
  const rows = sizeOf(outer);
  const offsets = new Int32Array(rows * inputs.length);
  const counter = new Array<number>(outer.length).fill(0);
  const base = new Array<number>(inputs.length).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < inputs.length; k++) offsets[r * inputs.length + k] = base[k]!;
    for (let d = outer.length - 1; d >= 0; d--) {
      counter[d]!++;
      outerStrides.forEach((s, k) => (base[k]! += s[d]!));
      if (counter[d]! < outer[d]!) break;
      outerStrides.forEach((s, k) => (base[k]! -= s[d]! * outer[d]!));
      counter[d] = 0;
    }
  }
  return { total, rows, rowLen: innerLen, inner, offsets };
}
