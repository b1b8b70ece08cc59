import { useMemo, useState } from "react";
import { download } from "../lib/download.ts";
import { metricNames, seriesToCsv, seriesToJson, throughput } from "../lib/series-export.ts";
import { smooth } from "../lib/smoothing.ts";
import type { MetricPoint } from "../worker/protocol.ts";
import { LineChart } from "./LineChart.tsx";

const COLORS = ["var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)"];

export function ChartsPanel({ metrics, running }: { metrics: MetricPoint[]; running: boolean }) {
  const [smoothing, setSmoothing] = useState(0.6);
  const names = useMemo(() => metricNames(metrics), [metrics]);
  const rate = useMemo(() => throughput(metrics), [metrics]);
  const unit = rate[rate.length - 1]?.unit ?? "steps/s";
  return (
    <div className="panel charts-panel">
      <div className="toolbar">
        <label title="Exponential moving average of the plotted values (raw values stay faint behind)">
          Smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="smoothing" />
          <span className="mono">{smoothing.toFixed(2)}</span>
        </label>
        <span className="spacer" />
        <span className="muted">{metrics.length ? `${metrics.length} steps${running ? " …" : ""}` : ""}</span>
        <button disabled={!metrics.length} onClick={() => download("polychip-metrics.csv", seriesToCsv(metrics), "text/csv")}>Export CSV</button>
        <button disabled={!metrics.length} onClick={() => download("polychip-metrics.json", seriesToJson(metrics), "application/json")}>Export JSON</button>
      </div>
      {names.length === 0 && (
        <div className="empty">
          Charts appear when the code calls <code>log(step, {"{ loss, accuracy }"})</code>. Open an example and press <kbd>Run</kbd>.
        </div>
      )}
      <div className="chart-grid">
        {names.map((name, i) => {
          const raw = metrics.filter((m) => name in m.values).map((m) => [m.step, m.values[name]!] as [number, number]);
          const sm = smooth(raw.map((p) => p[1]), smoothing).map((v, j) => [raw[j]![0], v] as [number, number]);
          const color = COLORS[i % COLORS.length]!;
          return (
            <LineChart
              key={name}
              title={name}
              xLabel="step"
              testId={`chart-${name}`}
              series={[{ name, color, points: raw, faint: true }, { name, color, points: sm }]}
            />
          );
        })}
        {rate.length > 0 && (
          <LineChart
            title="throughput"
            xLabel="step"
            testId="chart-throughput"
            series={[
              { name: unit, color: "var(--c3)", points: rate.map((r) => [r.step, r.perSecond]), faint: true },
              { name: unit, color: "var(--c3)", points: smooth(rate.map((r) => r.perSecond), smoothing).map((v, j) => [rate[j]!.step, v]) },
            ]}
          />
        )}
      </div>
    </div>
  );
}
