import { useMemo, useState } from "react";
import { download } from "../lib/download.ts";
import { metricNames, seriesToCsv, seriesToJson, throughput } from "../lib/series-export.ts";
import { smooth } from "../lib/smoothing.ts";
import type { MetricPoint } from "../worker/protocol.ts";
import type { RunRecord } from "../state/run-history.ts";
import { LineChart, type Series } from "./LineChart.tsx";
import type { YScale } from "../lib/chart-scale.ts";

type XAxis = "step" | "time";
/** Where a point sits on the chosen x axis: its step, or seconds since its run started. */
const xOf = (m: Pick<MetricPoint, "step" | "time">, axis: XAxis) => (axis === "step" ? m.step : m.time / 1000);

const COLORS = ["var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)"];
const OVERLAY_COLORS = ["var(--c4)", "var(--c3)", "var(--c5)", "var(--c2)", "var(--muted)"];

interface HistoryProps {
  history: RunRecord[];
  /** The saved record of the run now shown (not offered as an overlay of itself). */
  currentRecord: number | undefined;
  overlay: ReadonlySet<number>;
  onToggleOverlay(id: number): void;
  onClearHistory(): void;
}

function runName(r: RunRecord): string {
  return `${new Date(r.at).toLocaleTimeString()} · ${r.label} on ${r.device}`;
}

export function ChartsPanel({
  metrics,
  running,
  history,
  currentRecord,
  overlay,
  onToggleOverlay,
  onClearHistory,
}: { metrics: MetricPoint[]; running: boolean } & HistoryProps) {
  const [smoothing, setSmoothing] = useState(0.6);
  const [yScale, setYScale] = useState<YScale>("linear");
  const [xAxis, setXAxis] = useState<XAxis>("step");
  const [xRange, setXRange] = useState<[number, number] | undefined>();
  const xLabel = xAxis === "step" ? "step" : "wall time (s)";
  const chartProps = { xLabel, yScale, xRange, onZoom: setXRange };
  const rate = useMemo(() => throughput(metrics), [metrics]);
  const unit = rate[rate.length - 1]?.unit ?? "steps/s";
  const earlier = history.filter((r) => r.id !== currentRecord);
  const overlaid = earlier.filter((r) => overlay.has(r.id));
  const overlaySeries = (name: string): Series[] =>
    overlaid.flatMap((r, i) => {
      const raw = r.metrics.filter((m) => name in m.values).map((m) => [xOf(m, xAxis), m.values[name]!] as [number, number]);
      if (!raw.length) return [];
      const sm = smooth(
        raw.map((p) => p[1]),
        smoothing,
      ).map((v, j) => [raw[j]![0], v] as [number, number]);
      return [{ name: runName(r), color: OVERLAY_COLORS[i % OVERLAY_COLORS.length]!, points: sm, dashed: true }];
    });
  const names = [...new Set([...metricNames(metrics), ...overlaid.flatMap((r) => metricNames(r.metrics))])];
  return (
    <div className="panel charts-panel">
      <div className="toolbar">
        <label title="Exponential moving average of the plotted values (raw values stay faint behind)">
          Smoothing{" "}
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="smoothing" />
          <span className="mono">{smoothing.toFixed(2)}</span>
        </label>
        <button
          className="small"
          aria-pressed={yScale === "log"}
          data-testid="y-log"
          title="Logarithmic y axis (values at or below zero are not drawn)"
          onClick={() => setYScale((s) => (s === "log" ? "linear" : "log"))}
        >
          log y
        </button>
        <label>
          x{" "}
          <select
            value={xAxis}
            data-testid="x-axis"
            onChange={(e) => {
              setXAxis(e.target.value as XAxis);
              setXRange(undefined);
            }}
          >
            <option value="step">step</option>
            <option value="time">wall time</option>
          </select>
        </label>
        <button className="small" disabled={!xRange} onClick={() => setXRange(undefined)} data-testid="reset-zoom" title="Drag across a chart to zoom in">
          Reset zoom
        </button>
        <span className="spacer" />
        <span className="muted">{metrics.length ? `${metrics.length} steps${running ? " …" : ""}` : ""}</span>
        <button disabled={!metrics.length} onClick={() => download("polychip-metrics.csv", seriesToCsv(metrics), "text/csv")}>
          Export CSV
        </button>
        <button disabled={!metrics.length} onClick={() => download("polychip-metrics.json", seriesToJson(metrics), "application/json")}>
          Export JSON
        </button>
      </div>
      {earlier.length > 0 && (
        <details className="run-history" data-testid="run-history">
          <summary>
            Earlier runs ({earlier.length}){overlaid.length ? ` · ${overlaid.length} overlaid` : ""}
          </summary>
          <ul>
            {earlier.map((r) => (
              <li key={r.id}>
                <label>
                  <input type="checkbox" checked={overlay.has(r.id)} onChange={() => onToggleOverlay(r.id)} data-run={r.id} />
                  {runName(r)} · {r.metrics.length} steps · {r.status}
                </label>
              </li>
            ))}
          </ul>
          <button className="small" onClick={onClearHistory}>
            Forget these runs
          </button>
        </details>
      )}
      {names.length === 0 && (
        <div className="empty">
          Charts appear when the code calls <code>log(step, {"{ loss, accuracy }"})</code>. Open an example and press <kbd>Run</kbd>.
        </div>
      )}
      <div className="chart-grid">
        {names.map((name, i) => {
          const raw = metrics.filter((m) => name in m.values).map((m) => [xOf(m, xAxis), m.values[name]!] as [number, number]);
          const sm = smooth(
            raw.map((p) => p[1]),
            smoothing,
          ).map((v, j) => [raw[j]![0], v] as [number, number]);
          const color = COLORS[i % COLORS.length]!;
          return (
            <LineChart
              key={name}
              title={name}
              {...chartProps}
              testId={`chart-${name}`}
              series={[{ name, color, points: raw, faint: true }, { name, color, points: sm }, ...overlaySeries(name)]}
            />
          );
        })}
        {rate.length > 0 && (
          <LineChart
            title="throughput"
            {...chartProps}
            testId="chart-throughput"
            series={[
              { name: unit, color: "var(--c3)", points: rate.map((r) => [xOf(r, xAxis), r.perSecond]), faint: true },
              {
                name: unit,
                color: "var(--c3)",
                points: smooth(
                  rate.map((r) => r.perSecond),
                  smoothing,
                ).map((v, j) => [xOf(rate[j]!, xAxis), v]),
              },
            ]}
          />
        )}
      </div>
    </div>
  );
}
