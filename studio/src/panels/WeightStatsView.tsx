import { formatCount, formatNumber } from "../lib/format-number.ts";
import type { WeightStats } from "../lib/weight-stats.ts";

const W = 220;
const H = 44;

/** A weight's min/max/mean/std and the histogram of its values. */
export function WeightStatsView({ name, stats }: { name: string; stats: WeightStats }) {
  const peak = Math.max(1, ...stats.histogram);
  const barW = W / stats.histogram.length;
  return (
    <div className="weight-stats" data-testid="weight-stats" data-weight={name}>
      <div className="mono">{name}</div>
      <dl className="node-facts">
        <dt>min</dt>
        <dd className="mono">{formatNumber(stats.min)}</dd>
        <dt>max</dt>
        <dd className="mono">{formatNumber(stats.max)}</dd>
        <dt>mean</dt>
        <dd className="mono">{formatNumber(stats.mean)}</dd>
        <dt>std</dt>
        <dd className="mono">{formatNumber(stats.std)}</dd>
        <dt>values</dt>
        <dd>
          {formatCount(stats.count)}
          {stats.nonFinite ? <span className="error-text"> + {formatCount(stats.nonFinite)} NaN/∞</span> : null}
        </dd>
      </dl>
      <svg
        width={W}
        height={H + 12}
        role="img"
        aria-label={`Histogram of ${name}: ${stats.histogram.join(", ")} values per bin from ${formatNumber(stats.min)} to ${formatNumber(stats.max)}`}
      >
        {stats.histogram.map((n, i) => {
          const h = (n / peak) * H;
          return <rect key={i} className="histogram-bar" x={i * barW + 0.5} y={H - h} width={Math.max(1, barW - 1)} height={h} data-count={n} />;
        })}
        <text x={0} y={H + 11} className="axis-label">
          {formatNumber(stats.min)}
        </text>
        <text x={W} y={H + 11} textAnchor="end" className="axis-label">
          {formatNumber(stats.max)}
        </text>
      </svg>
    </div>
  );
}
