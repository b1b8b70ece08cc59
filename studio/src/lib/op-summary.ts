/** Per-op totals of profiler events, kept incrementally (a long run need not keep every event). */
import type { ProfileEvent } from "@polychip/hal";
import { shortOpName } from "./op-name.ts";

export interface OpRow {
  device: string;
  name: string;
  category: ProfileEvent["category"];
  count: number;
  totalMs: number;
  maxMs: number;
  /** Fraction of all summed event time. */
  share: number;
  /** Sums of numeric args worth showing (NPU cycles, DMA bytes), by arg name. */
  argTotals: Record<string, number>;
  /** The devices' own names for the events of this row when they differ from `name` (shader keys), a few at most. */
  keys: string[];
  /** For fused kernels whose events name their member ops (`args.ops`): each distinct program, a few at most. */
  programs: FusedProgramRow[];
}

export interface FusedProgramRow {
  /** Member ops in program order. */
  ops: string[];
  count: number;
  totalMs: number;
}

/** How many distinct event names a row remembers for its tooltip. */
const MAX_KEYS = 12;

/** Numeric args that add up meaningfully across launches (others, like a high-water mark, take the max). */
const SUMMED_ARGS = /^(cycles|dmaBytes|dma_bytes|bytes|macs|flops)$/i;

/** Counts one launch of a fused kernel under its program (its member ops, space-separated as the device names them). */
function addProgram(programs: FusedProgramRow[], ops: string, duration: number): void {
  const list = ops.split(/\s+/).filter(Boolean);
  let p = programs.find((q) => q.ops.join(" ") === list.join(" "));
  if (!p) {
    if (programs.length >= MAX_KEYS) return;
    programs.push((p = { ops: list, count: 0, totalMs: 0 }));
  }
  p.count++;
  p.totalMs += duration;
}

export class OpSummary {
  private rowsByKey = new Map<string, Omit<OpRow, "share">>();
  private total = 0;

  add(events: Iterable<ProfileEvent>): void {
    for (const e of events) {
      const name = shortOpName(e.name);
      const key = `${e.device}\u0000${e.category}\u0000${name}`;
      let row = this.rowsByKey.get(key);
      if (!row)
        this.rowsByKey.set(
          key,
          (row = { device: e.device, name, category: e.category, count: 0, totalMs: 0, maxMs: 0, argTotals: {}, keys: [], programs: [] }),
        );
      if (typeof e.args?.ops === "string") addProgram(row.programs, e.args.ops, e.duration);
      if (name !== e.name && row.keys.length < MAX_KEYS && !row.keys.includes(e.name)) row.keys.push(e.name);
      row.count++;
      row.totalMs += e.duration;
      row.maxMs = Math.max(row.maxMs, e.duration);
      this.total += e.duration;
      for (const [k, v] of Object.entries(e.args ?? {})) {
        if (typeof v !== "number") continue;
        row.argTotals[k] = SUMMED_ARGS.test(k) ? (row.argTotals[k] ?? 0) + v : Math.max(row.argTotals[k] ?? -Infinity, v);
      }
    }
  }

  /** Rows by total time, largest first. */
  rows(): OpRow[] {
    return [...this.rowsByKey.values()]
      .map((r) => ({
        ...r,
        argTotals: { ...r.argTotals },
        keys: [...r.keys],
        programs: r.programs.map((p) => ({ ...p, ops: [...p.ops] })).sort((a, b) => b.totalMs - a.totalMs),
        share: this.total > 0 ? r.totalMs / this.total : 0,
      }))
      .sort((a, b) => b.totalMs - a.totalMs || a.name.localeCompare(b.name));
  }

  get eventCount(): number {
    let n = 0;
    for (const r of this.rowsByKey.values()) n += r.count;
    return n;
  }
}
