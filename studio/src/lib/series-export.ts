/** The live charts' data as CSV or JSON for download. */
import type { MetricPoint } from "../user-api/run-context.ts";

export function metricNames(points: readonly MetricPoint[]): string[] {
  const names = new Set<string>();
  for (const p of points) for (const k of Object.keys(p.values)) names.add(k);
  return [...names];
}

/** Throughput of each point from the time since the previous one: examples/s when `samples` is given, else steps/s. */
export function throughput(points: readonly MetricPoint[]): { step: number; time: number; perSecond: number; unit: "examples/s" | "steps/s" }[] {
  const out: { step: number; time: number; perSecond: number; unit: "examples/s" | "steps/s" }[] = [];
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const dt = (p.time - points[i - 1]!.time) / 1000;
    if (dt <= 0) continue;
    const steps = Math.max(1, p.step - points[i - 1]!.step);
    out.push(
      p.samples !== undefined
        ? { step: p.step, time: p.time, perSecond: p.samples / dt, unit: "examples/s" }
        : { step: p.step, time: p.time, perSecond: steps / dt, unit: "steps/s" },
    );
  }
  return out;
}

export function seriesToCsv(points: readonly MetricPoint[]): string {
  const names = metricNames(points);
  const header = ["step", "time_ms", ...names, "samples"].join(",");
  const rows = points.map((p) => [p.step, p.time.toFixed(3), ...names.map((n) => (n in p.values ? String(p.values[n]) : "")), p.samples ?? ""].join(","));
  return [header, ...rows].join("\n") + "\n";
}

export function seriesToJson(points: readonly MetricPoint[]): string {
  return JSON.stringify({ metrics: metricNames(points), points }, null, 2);
}
