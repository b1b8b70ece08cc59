import type { Dim, DType } from "@polychip/hal";

export type { Dim };

/** "batch*8" → batch, 8; "batch" → batch, 1. */
export function symbolParts(d: string): { base: string; factor: number } {
  const m = /^(.+)\*(\d+)$/.exec(d);
  return m ? { base: m[1]!, factor: Number(m[2]) } : { base: d, factor: 1 };
}

export const scaledSymbol = (base: string, factor: number): string => (factor === 1 ? base : `${base}*${factor}`);

/** What the importer knows about a value before running anything: its dtype and (maybe symbolic) shape. */
export interface ValueMeta {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export function isStatic(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

export function formatDims(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

export function sizeOfDims(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}
