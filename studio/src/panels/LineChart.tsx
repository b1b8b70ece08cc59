import { useLayoutEffect, useRef, useState } from "react";
import { niceTicks } from "../lib/ticks.ts";
import { formatNumber } from "../lib/format-number.ts";

export interface Series {
  name: string;
  color: string;
  points: readonly [number, number][];
  /** Drawn thin and faded (the raw values behind a smoothed line). */
  faint?: boolean;
  /** An earlier run overlaid for comparison: dashed, and not in the read-out. */
  dashed?: boolean;
}

interface Props {
  title: string;
  series: Series[];
  xLabel: string;
  height?: number;
  testId?: string;
}

const PAD = { left: 46, right: 12, top: 8, bottom: 26 };

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(400);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(120, el.clientWidth)));
    ro.observe(el);
    setWidth(Math.max(120, el.clientWidth));
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

/** A small SVG line chart: shared x axis (steps), nice ticks, hover read-out of the nearest step. */
export function LineChart({ title, series, xLabel, height = 170, testId }: Props) {
  const [ref, width] = useWidth();
  const [hoverX, setHoverX] = useState<number | undefined>();
  const all = series.flatMap((s) => s.points);
  const main = series.filter((s) => !s.faint && !s.dashed);
  const latest = main.map((s) => s.points[s.points.length - 1]).filter((p): p is [number, number] => !!p);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs, x0 + 1) : 1;
  const yTicks = ys.length ? niceTicks(Math.min(...ys), Math.max(...ys), 4) : [0, 1];
  const y0 = Math.min(yTicks[0]!, ...ys);
  const y1 = Math.max(yTicks[yTicks.length - 1]!, ...ys);
  const w = width - PAD.left - PAD.right;
  const h = height - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * w;
  const sy = (y: number) => PAD.top + h - ((y - y0) / (y1 - y0 || 1)) * h;
  const path = (pts: readonly [number, number][]) => {
    // Thin out very long series to about two points per pixel.
    const every = Math.max(1, Math.floor(pts.length / (w * 2)));
    let d = "";
    pts.forEach((p, i) => {
      if (i % every !== 0 && i !== pts.length - 1) return;
      d += `${d ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`;
    });
    return d;
  };
  const hover = hoverX === undefined ? undefined : main.map((s) => nearest(s.points, hoverX)).filter((p): p is [number, number] => !!p);
  return (
    <div className="chart" ref={ref} data-testid={testId}>
      <div className="chart-title">
        <span>{title}</span>
        <span className="chart-latest">
          {(hover ?? latest).map((p, i) => (
            <span key={i} style={{ color: main[i]?.color }}>
              {main[i]?.name}: {formatNumber(p[1])} {hover ? `@ ${p[0]}` : ""}
            </span>
          ))}
        </span>
      </div>
      {all.length === 0 ? (
        <div className="chart-empty" style={{ height }}>
          no data yet
        </div>
      ) : (
        <svg
          width={width}
          height={height}
          onMouseMove={(e) => {
            const r = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
            setHoverX(x0 + ((e.clientX - r.left - PAD.left) / w) * (x1 - x0));
          }}
          onMouseLeave={() => setHoverX(undefined)}
        >
          {yTicks.map((t) => (
            <g key={t}>
              <line className="grid" x1={PAD.left} x2={PAD.left + w} y1={sy(t)} y2={sy(t)} />
              <text className="tick" x={PAD.left - 6} y={sy(t) + 4} textAnchor="end">
                {formatNumber(t)}
              </text>
            </g>
          ))}
          {niceTicks(x0, x1, Math.max(2, Math.floor(w / 80)))
            .filter((t) => xLabel !== "step" || Number.isInteger(t))
            .map((t) => (
              <text key={t} className="tick" x={sx(t)} y={height - 8} textAnchor="middle">
                {formatNumber(t)}
              </text>
            ))}
          <text className="axis-label" x={PAD.left + w} y={height - 8} textAnchor="end" dy={0}>
            {xLabel}
          </text>
          {series.map((s) => (
            <path
              key={s.name + (s.faint ? "-raw" : "")}
              d={path(s.points)}
              fill="none"
              stroke={s.color}
              strokeWidth={s.faint ? 1 : s.dashed ? 1.5 : 2}
              strokeOpacity={s.faint ? 0.3 : s.dashed ? 0.85 : 1}
              strokeDasharray={s.dashed ? "5 3" : undefined}
              data-series={s.dashed ? "overlay" : s.faint ? "raw" : "smoothed"}
            >
              <title>{s.name}</title>
            </path>
          ))}
          {hover && hoverX !== undefined && (
            <line className="crosshair" x1={sx(hover[0]?.[0] ?? hoverX)} x2={sx(hover[0]?.[0] ?? hoverX)} y1={PAD.top} y2={PAD.top + h} />
          )}
        </svg>
      )}
    </div>
  );
}

function nearest(points: readonly [number, number][], x: number): [number, number] | undefined {
  let best: [number, number] | undefined;
  for (const p of points) if (!best || Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
  return best;
}
