import { PolychipError } from "@polychip/hal";

/** The range a quantised tensor must cover, as an observer saw it over the calibration data. */
export interface ActivationRange {
  readonly min: number;
  readonly max: number;
}

/** Watches the values one tensor takes over the calibration batches. NaN and ±Inf are ignored. */
export interface Observer {
  observe(values: ArrayLike<number>): void;
  range(): ActivationRange;
}

export type ObserverKind = "minmax" | "percentile";

/** The exact smallest and largest values seen. */
export class MinMaxObserver implements Observer {
  private min = Infinity;
  private max = -Infinity;

  observe(values: ArrayLike<number>): void {
    let { min, max } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min && v > -Infinity) min = v;
      if (v > max && v < Infinity) max = v;
    }
    this.min = min;
    this.max = max;
  }

  range(): ActivationRange {
    return this.min <= this.max ? { min: this.min, max: this.max } : { min: 0, max: 0 };
  }
}

const BINS = 1 << 16;

/**
 * The `percentile` and `100 − percentile` points of everything seen, so a few outliers do not
 * stretch the scale and cost every other value its resolution. Keeps a histogram instead of the
 * values: bin k holds [k·w, (k+1)·w) with w a power of two, the finest at which everything seen
 * spans at most BINS bins. When new values widen the span, w doubles and pairs of bins merge
 * (floor(k/2)), which is exact — so the histogram, and the range, do not depend on the order of
 * the batches. The resolution stays within 2/BINS of the whole range, fine enough for a clipped
 * range a hundred times narrower than the outliers.
 */
export class PercentileObserver implements Observer {
  private counts = new Float64Array(BINS);
  private width = 0;
  private first = 0;
  private total = 0;
  private readonly exact = new MinMaxObserver();

  constructor(readonly percentile = 99.99) {
    if (!(percentile > 50 && percentile <= 100)) throw new PolychipError(`percentile observer: the percentile must lie in (50, 100], got ${percentile}`);
  }

  observe(values: ArrayLike<number>): void {
    this.exact.observe(values);
    const { min: lo, max: hi } = this.exact.range();
    if (!(lo <= hi) || values.length === 0) return;
    const span = (w: number) => Math.floor(hi / w) - Math.floor(lo / w);
    if (this.width === 0) {
      this.width = 2 ** Math.ceil(Math.log2(Math.max(hi - lo, Math.abs(hi) * 1e-7, 1e-30) / BINS));
      while (span(this.width) >= BINS) this.width *= 2;
    }
    while (span(this.width) >= BINS) this.coarsen();
    this.moveWindow(Math.floor(lo / this.width));
    const { counts, width, first } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      counts[Math.floor(v / width) - first]!++;
      this.total++;
    }
  }

  range(): ActivationRange {
    const exact = this.exact.range();
    if (this.total === 0) return exact;
    const tail = ((100 - this.percentile) / 100) * this.total;
    const lo = Math.max(exact.min, this.point(tail));
    const hi = Math.min(exact.max, this.point(this.total - tail));
    return lo <= hi ? { min: lo, max: hi } : exact;
  }

  /** The value below which `rank` of the counted values lie, interpolated within its bin. */
  private point(rank: number): number {
    let below = 0;
    for (let b = 0; b < BINS; b++) {
      const c = this.counts[b]!;
      if (c > 0 && below + c >= rank) return (this.first + b + (rank - below) / c) * this.width;
      below += c;
    }
    return (this.first + BINS) * this.width;
  }

  private coarsen(): void {
    const merged = new Float64Array(BINS);
    const first = Math.floor(this.first / 2);
    for (let b = 0; b < BINS; b++) {
      const c = this.counts[b]!;
      if (c > 0) merged[Math.floor((this.first + b) / 2) - first]! += c;
    }
    this.counts = merged;
    this.first = first;
    this.width *= 2;
  }

  /** Holds bins [first, first + BINS) from now on; everything counted so far lies inside them. */
  private moveWindow(first: number): void {
    if (first === this.first) return;
    const moved = new Float64Array(BINS);
    for (let b = 0; b < BINS; b++) {
      const c = this.counts[b]!;
      if (c > 0) moved[this.first + b - first] = c;
    }
    this.counts = moved;
    this.first = first;
  }
}

export function createObserver(kind: ObserverKind, percentile?: number): Observer {
  if (kind === "minmax") return new MinMaxObserver();
  if (kind === "percentile") return new PercentileObserver(percentile);
  throw new PolychipError(`unknown observer '${String(kind)}' (observers: minmax, percentile)`);
}
