import type { Dim, DType } from "@polychip/hal";

export type { Dim };

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
