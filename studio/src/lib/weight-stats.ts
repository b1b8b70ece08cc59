/** Summary of a weight tensor for the model viewer's properties panel (what Netron shows, plus a histogram). */
export interface WeightStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  /** Values that are NaN or infinite: left out of every other figure. */
  nonFinite: number;
  /** Counts per equal-width bin from min to max. */
  histogram: number[];
}

export const HISTOGRAM_BINS = 24;

export function weightStats(values: ArrayLike<number | bigint>, bins = HISTOGRAM_BINS): WeightStats {
  let count = 0;
  let nonFinite = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const histogram = new Array<number>(bins).fill(0);
  if (count === 0) return { count, min: Number.NaN, max: Number.NaN, mean: Number.NaN, std: Number.NaN, nonFinite, histogram };
  const mean = sum / count;
  let squares = 0;
  const width = (max - min) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isFinite(v)) continue;
    squares += (v - mean) ** 2;
    histogram[width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0]!++;
  }
  return { count, min, max, mean, std: Math.sqrt(squares / count), nonFinite, histogram };
}
