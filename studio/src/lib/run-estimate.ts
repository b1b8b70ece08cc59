/**
 * How long a run of this code will take on a device, before Run: from the times of earlier runs
 * (this code on that device; else this code elsewhere, scaled by how the two devices compared on
 * code that ran on both). Kept small: the last runs' durations, keyed by a hash of the code.
 */
import { formatMs } from "./format-number.ts";

export interface RunTime {
  /** codeHash() of the code that ran. */
  code: string;
  device: string;
  ms: number;
}

export const MAX_RUN_TIMES = 60;

/** FNV-1a over the code's UTF-16 units: equal code, equal hash (not a security hash). */
export function codeHash(code: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** The list with `t` added last and its oldest entries dropped beyond `max`. */
export function recordRunTime(times: readonly RunTime[], t: RunTime, max = MAX_RUN_TIMES): RunTime[] {
  return [...times, t].slice(-max);
}

function latest(times: readonly RunTime[], code: string, device: string): number | undefined {
  for (let i = times.length - 1; i >= 0; i--) if (times[i]!.code === code && times[i]!.device === device) return times[i]!.ms;
  return undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface RunEstimate {
  /** Expected duration, when there is a basis for one. */
  ms?: number;
  /** Where the figure comes from, for the banner. */
  text: string;
}

export function estimateRun(times: readonly RunTime[], code: string, device: string): RunEstimate | undefined {
  const here = latest(times, code, device);
  if (here !== undefined) return { ms: here, text: `≈ ${formatMs(here)}: your last run of this code on ${device}` };
  const others = [...new Set(times.filter((t) => t.code === code && t.device !== device).map((t) => t.device))];
  if (!others.length) return undefined;
  const codes = [...new Set(times.map((t) => t.code))];
  for (const other of others) {
    const ratios = codes.flatMap((c) => {
      const [a, b] = [latest(times, c, device), latest(times, c, other)];
      return a !== undefined && b !== undefined && b > 0 ? [a / b] : [];
    });
    if (!ratios.length) continue;
    const there = latest(times, code, other)!;
    const ratio = median(ratios);
    return {
      ms: there * ratio,
      text: `≈ ${formatMs(there * ratio)}: this code took ${formatMs(there)} on ${other}, and code that ran on both took ${formatRatio(ratio)} as long on ${device}`,
    };
  }
  const other = others[0]!;
  return { text: `this code took ${formatMs(latest(times, code, other)!)} on ${other}; nothing has run on ${device} yet to compare` };
}

function formatRatio(r: number): string {
  return `${r >= 10 ? Math.round(r) : Number(r.toPrecision(2))}×`;
}
