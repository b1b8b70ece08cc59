/**
 * Numbers as people read them: counts with thousands separators (101,770, never 1.0e+5), and
 * durations in the unit that fits (ns, µs, ms, s) instead of an exponent of milliseconds.
 */
const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A whole count: 101770 → "101,770". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? grouped.format(Math.round(n)) : String(n);
}

/** Short label for a number on an axis or in a table. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return formatCount(v);
  if (Number.isInteger(v)) return String(v);
  if (a !== 0 && a < 1e-6) return v.toExponential(1);
  if (a < 1e-3) return String(Number(v.toPrecision(2)));
  // Three significant digits, no trailing zeros: 2.3456 → "2.35", 1.5 → "1.5", 123.4 → "123".
  return String(Number(v.toPrecision(3)));
}

const UNITS = [
  { unit: "s", perMs: 1e-3, from: 1000 },
  { unit: "ms", perMs: 1, from: 1 },
  { unit: "µs", perMs: 1e3, from: 1e-3 },
  { unit: "ns", perMs: 1e6, from: 0 },
] as const;

/** The unit a duration (or an axis spanning that many milliseconds) reads best in. */
export function durationUnit(ms: number): (typeof UNITS)[number] {
  const a = Math.abs(ms);
  return UNITS.find((u) => a >= u.from) ?? UNITS[UNITS.length - 1]!;
}

/** A duration given in milliseconds: 0.00028 → "280 ns", 12.5 → "12.5 ms", 101770 → "101.8 s". */
export function formatMs(ms: number, axisUnit?: (typeof UNITS)[number]): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  if (ms === 0) return `0 ${axisUnit?.unit ?? "ms"}`;
  const unit = axisUnit ?? durationUnit(ms);
  const v = ms * unit.perMs;
  const a = Math.abs(v);
  const text = a >= 1000 ? formatCount(v) : Number.isInteger(v) ? String(v) : v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
  return `${text} ${unit.unit}`;
}
