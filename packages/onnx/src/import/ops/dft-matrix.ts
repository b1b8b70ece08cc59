import { UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { castTo } from "./helpers.ts";

/** forward: e^{-iθ}; inverse: e^{+iθ}/L, complex out; inverseReal: numpy's irfft (one-sided bins in, L real values out). */
export type DftKind = "forward" | "inverse" | "inverseReal";

/**
 * The largest DFT matrix built at import (entries: input length × parts × output bins × parts).
 * 2^24 float32 entries is 64 MiB: a complex transform of length 2,048 or a real one-sided of 4,096
 * fits, which covers audio frame sizes; a longer one needs an FFT kernel Polychip does not have.
 */
export const MAX_DFT_MATRIX_ENTRIES = 1 << 24;

export interface DftPlan {
  readonly kind: DftKind;
  /** The input's length along the transformed axis (values past `length` are dropped: numpy's truncation). */
  readonly inLength: number;
  /** 1 (real) or 2 (real, imaginary interleaved). */
  readonly inParts: number;
  /** The transform length L (dft_length). */
  readonly length: number;
  /** How many bins come out: L, or L/2 + 1 one-sided. */
  readonly outBins: number;
  readonly outParts: number;
}

/**
 * The real matrix M with rows (n, part in) and columns (k, part out), so that a signal laid out
 * as [n0.re, n0.im, n1.re, …] times M is its transform laid out the same way. Input positions
 * past L are zero rows (truncation); missing ones are absent (zero padding).
 */
export function dftMatrix(ctx: ImportContext, plan: DftPlan): string {
  const { kind, inLength, inParts, length: L, outBins, outParts } = plan;
  const rows = inLength * inParts;
  const cols = outBins * outParts;
  if (rows * cols > MAX_DFT_MATRIX_ENTRIES) {
    throw new UnsupportedOpError(
      `${ctx.where()}: a transform of ${inLength} ${inParts === 2 ? "complex" : "real"} values into ${outBins} bins needs a ${rows}×${cols} DFT matrix, over the ${MAX_DFT_MATRIX_ENTRIES} entries Polychip builds at import (at most length 2,048 complex or 4,096 real one-sided)`,
    );
  }
  const m = new Float32Array(rows * cols);
  // irfft reads only the first L/2 + 1 bins and counts each bin between DC and Nyquist twice.
  const usedRows = kind === "inverseReal" ? Math.min(inLength, Math.floor(L / 2) + 1) : Math.min(inLength, L);
  for (let n = 0; n < usedRows; n++) {
    const twice = kind === "inverseReal" && n !== 0 && 2 * n !== L ? 2 : 1;
    for (let k = 0; k < outBins; k++) {
      // Reducing n·k mod L first keeps the angle exact for long transforms.
      const theta = (2 * Math.PI * ((n * k) % L)) / L;
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      const at = (p: number, q: number) => (n * inParts + p) * cols + k * outParts + q;
      if (kind === "forward") {
        // (re + i·im)(cos − i·sin)
        m[at(0, 0)] = c;
        m[at(0, 1)] = -s;
        if (inParts === 2) {
          m[at(1, 0)] = s;
          m[at(1, 1)] = c;
        }
      } else {
        // (re + i·im)(cos + i·sin) / L
        const scale = twice / L;
        m[at(0, 0)] = c * scale;
        if (outParts === 2) m[at(0, 1)] = s * scale;
        if (inParts === 2) {
          m[at(1, 0)] = -s * scale;
          if (outParts === 2) m[at(1, 1)] = c * scale;
        }
      }
    }
  }
  return ctx.const(m, [rows, cols], "float32");
}

/**
 * Transforms `x` ([..., n, ..., parts], float) along `axis` (not the last): the signal axis moves
 * next to the parts, rows are flattened for one matmul with the DFT matrix, and the bins move back.
 */
export function transformAlong(ctx: ImportContext, x: string, axis: number, plan: Omit<DftPlan, "inLength" | "inParts">): string {
  const dtype = ctx.dtype(x);
  const shape = ctx.shape(x, ctx.current?.opType ?? "a DFT");
  const rank = shape.length;
  const inParts = shape[rank - 1]!;
  const inLength = shape[axis]!;
  const full: DftPlan = { ...plan, inLength, inParts };
  const perm = [...Array(rank - 1).keys()].filter((d) => d !== axis);
  perm.push(axis, rank - 1);
  const moved = ctx.op("permute", [castTo(ctx, x, "float32")], { dims: perm });
  const lead = perm.slice(0, -2).map((d) => shape[d]!);
  const rowsOf = lead.reduce((a, b) => a * b, 1);
  const flat = ctx.op("reshape", [moved], { shape: [rowsOf, inLength * inParts] });
  const product = ctx.op("matmul", [flat, dftMatrix(ctx, full)]);
  const bins = ctx.op("reshape", [product], { shape: [...lead, plan.outBins, plan.outParts] });
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return castTo(ctx, ctx.op("permute", [bins], { dims: inverse }), dtype);
}
