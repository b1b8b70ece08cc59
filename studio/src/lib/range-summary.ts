/**
 * What a selected stretch of the timeline spent its time on (Chrome DevTools' Summary tab): per
 * kernel, op, module and data load, how many overlap the range, the time inside it, and that
 * time's share of the range. Times are on the run's clock relative to its origin.
 */
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";
import type { DataSpan } from "./chrome-trace.ts";
import { shortOpName } from "./op-name.ts";

export type SummaryKind = "kernel" | "transfer" | "fallback" | "sync" | "compile" | "op" | "module" | "data";

export interface RangeRow {
  kind: SummaryKind;
  name: string;
  count: number;
  /** Milliseconds of this row's spans inside the range (overlaps clipped to it). */
  ms: number;
  /** ms as a fraction of the range's length. */
  share: number;
}

export interface RangeSummary {
  from: number;
  to: number;
  rows: RangeRow[];
}

export function summarizeRange(
  from: number,
  to: number,
  origin: number,
  events: readonly ProfileEvent[],
  ranges: readonly ProfileRange[],
  data: readonly DataSpan[],
): RangeSummary {
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  const length = hi - lo;
  const rows = new Map<string, RangeRow>();
  const add = (kind: SummaryKind, name: string, start: number, end: number) => {
    const s = start - origin;
    const e = end - origin;
    if (e < lo || s > hi || (e === s && (s < lo || s > hi))) return;
    const inside = Math.max(0, Math.min(e, hi) - Math.max(s, lo));
    const key = `${kind}\u0000${name}`;
    const row = rows.get(key) ?? { kind, name, count: 0, ms: 0, share: 0 };
    row.count++;
    row.ms += inside;
    rows.set(key, row);
  };
  for (const e of events) add(e.category, shortOpName(e.name), e.start, e.start + e.duration);
  for (const r of ranges) add(r.kind, r.name, r.start, r.start + r.duration);
  for (const d of data) add("data", d.name, d.start, d.end);
  const out = [...rows.values()];
  for (const r of out) r.share = length > 0 ? r.ms / length : 0;
  out.sort((a, b) => b.ms - a.ms || b.count - a.count || a.name.localeCompare(b.name));
  return { from: lo, to: hi, rows: out };
}
