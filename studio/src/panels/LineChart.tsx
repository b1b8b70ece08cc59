import { useId, useLayoutEffect, useRef, useState } from "react";
import { niceTicks } from "../lib/ticks.ts";
import { pointsInRange, scaled, yTicksFor, type YScale } from "../lib/chart-scale.ts";
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
  yScale?: YScale;
  /** The x range shown (zoomed in); everything when undefined. */
  xRange?: readonly [number, number];
  /** Called with the x range the user brushed (dragged across the chart). */
  onZoom?(range: [number, number]): void;
}

/** A drag shorter than this many pixels is a click, not a brush. */
const MIN_BRUSH_PX = 5;

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
export function LineChart({ title, series: allSeries, xLabel, height = 170, testId, yScale = "linear", xRange, onZoom }: Props) {
  const [ref, width] = useWidth();
  const [hoverX, setHoverX] = useState<number | undefined>();
  const [brush, setBrush] = useState<{ from: number; to: number } | undefined>();
  const clipId = useId();
  const series = allSeries.map((s) => ({ ...s, points: pointsInRange(s.points, xRange) }));
  const all = series.flatMap((s) => s.points);
  const main = series.filter((s) => !s.faint && !s.dashed);
  const latest = main.map((s) => s.points[s.points.length - 1]).filter((p): p is [number, number] => !!p);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => scaled(p[1], yScale)).filter(Number.isFinite);
  const x0 = xRange ? xRange[0] : xs.length ? Math.min(...xs) : 0;
  const x1 = xRange ? xRange[1] : xs.length ? Math.max(...xs, x0 + (xLabel === "step" ? 1 : 1e-3)) : 1;
  const yTicks = yTicksFor(
    all.map((p) => p[1]),
    yScale,
  );
  const y0 = Math.min(scaled(yTicks[0]!, yScale), ...ys);
  const y1 = Math.max(scaled(yTicks[yTicks.length - 1]!, yScale), ...ys);
  // Room for the longest y label (0.00001 on a log axis).
  const left = Math.max(PAD.left, 10 + 6.5 * Math.max(...yTicks.map((t) => formatNumber(t).length)));
  const w = width - left - PAD.right;
  const h = height - PAD.top - PAD.bottom;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * w;
  const sy = (y: number) => PAD.top + h - ((scaled(y, yScale) - y0) / (y1 - y0 || 1)) * h;
  const xAt = (px: number) => x0 + ((px - left) / w) * (x1 - x0);
  const path = (pts: readonly [number, number][]) => {
    // Thin out very long series to about two points per pixel.
    const every = Math.max(1, Math.floor(pts.length / (w * 2)));
    let d = "";
    let pen = "M";
    pts.forEach((p, i) => {
      if (i % every !== 0 && i !== pts.length - 1) return;
      const y = sy(p[1]);
      // A value the scale cannot show (≤ 0 on a log axis) breaks the line.
      if (!Number.isFinite(y)) return void (pen = "M");
      d += `${pen}${sx(p[0]).toFixed(1)},${y.toFixed(1)}`;
      pen = "L";
    });
    return d;
  };
  const localX = (e: React.MouseEvent) => e.clientX - (e.currentTarget as SVGSVGElement).getBoundingClientRect().left;
  const hover = hoverX === undefined ? undefined : main.map((s) => nearest(s.points, hoverX)).filter((p): p is [number, number] => !!p);
  return (
    <div className="chart" ref={ref} data-testid={testId}>
      <div className="chart-title">
        <span>{title}</span>
        <span className="chart-latest">
          {(hover ?? latest).map((p, i) => (
            <span key={i} style={{ color: main[i]?.color }}>
              {main[i]?.name}: {formatNumber(p[1])} {hover ? `@ ${xLabel === "step" ? p[0] : `${formatNumber(p[0])} s`}` : ""}
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
          data-zoomed={xRange ? "true" : "false"}
          data-y-scale={yScale}
          onMouseDown={(e) => {
            if (!onZoom) return;
            const x = localX(e);
            setBrush({ from: x, to: x });
          }}
          onMouseMove={(e) => {
            const x = localX(e);
            if (brush) setBrush({ ...brush, to: x });
            setHoverX(xAt(x));
          }}
          onMouseUp={() => {
            if (brush && onZoom && Math.abs(brush.to - brush.from) >= MIN_BRUSH_PX) {
              const [a, b] = [Math.min(brush.from, brush.to), Math.max(brush.from, brush.to)];
              onZoom([xAt(Math.max(left, a)), xAt(Math.min(left + w, b))]);
            }
            setBrush(undefined);
          }}
          onMouseLeave={() => {
            setHoverX(undefined);
            setBrush(undefined);
          }}
        >
          <clipPath id={clipId}>
            <rect x={left} y={0} width={w} height={height} />
          </clipPath>
          {yTicks.map((t) => (
            <g key={t}>
              <line className="grid" x1={left} x2={left + w} y1={sy(t)} y2={sy(t)} />
              <text className="tick" x={left - 6} y={sy(t) + 4} textAnchor="end">
                {formatNumber(t)}
              </text>
            </g>
          ))}
          {niceTicks(x0, x1, Math.max(2, Math.floor(w / 80)))
            .filter((t) => t >= x0 && t <= x1)
            .filter((t) => xLabel !== "step" || Number.isInteger(t))
            .map((t) => (
              <text key={t} className="tick" x={sx(t)} y={height - 8} textAnchor="middle">
                {formatNumber(t)}
              </text>
            ))}
          <text className="axis-label" x={left + w} y={height - 8} textAnchor="end" dy={0}>
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
              clipPath={`url(#${clipId})`}
            >
              <title>{s.name}</title>
            </path>
          ))}
          {brush && <rect className="brush" x={Math.min(brush.from, brush.to)} y={PAD.top} width={Math.abs(brush.to - brush.from)} height={h} />}
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
