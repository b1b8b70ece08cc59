/** Axis maths of the line charts: log or linear y, and the part of a series inside a zoomed x range. */
import { niceTicks } from "./ticks.ts";

export type YScale = "linear" | "log";

/** Ticks at 1, 2 and 5 × 10^k over [min, max] (min > 0), thinned to powers of ten over wide ranges. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const mantissas = hi - lo > 3 ? [1] : [1, 2, 5];
  const out: number[] = [];
  for (let k = lo; k <= hi; k++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
  }
  // A range inside one decade can hold a single tick: add its ends so the axis has a scale.
  return out.length >= 2 ? out : [...new Set([Number(min.toPrecision(2)), ...out, Number(max.toPrecision(2))])].sort((a, b) => a - b);
}

/** The y ticks for `values` on `scale` (a log scale only looks at the positive values). */
export function yTicksFor(values: readonly number[], scale: YScale, target = 4): number[] {
  const shown = scale === "log" ? values.filter((v) => v > 0) : values.filter(Number.isFinite);
  if (!shown.length) return scale === "log" ? [1, 10] : [0, 1];
  const [lo, hi] = [Math.min(...shown), Math.max(...shown)];
  return scale === "log" ? logTicks(lo, hi) : niceTicks(lo, hi, target);
}

/** Where a value sits on the scale (log10 on a log scale; NaN for values it cannot show). */
export function scaled(v: number, scale: YScale): number {
  return scale === "log" ? (v > 0 ? Math.log10(v) : Number.NaN) : v;
}

/** The points inside [from, to], plus the nearest point on each side so the line runs to the edges. */
export function pointsInRange(points: readonly [number, number][], range: readonly [number, number] | undefined): [number, number][] {
  if (!range) return [...points];
  const [from, to] = range;
  const first = points.findIndex((p) => p[0] >= from);
  if (first < 0) return points.length ? [points[points.length - 1]!] : [];
  let last = first;
  while (last + 1 < points.length && points[last + 1]![0] <= to) last++;
  return points.slice(Math.max(0, first - 1), Math.min(points.length, last + 2));
}
