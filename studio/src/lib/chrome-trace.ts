/**
 * Chrome / Perfetto trace JSON ("Trace Event Format") from the profiler's events. Each device gets
 * a kernel track and a transfer track; each training step is a parent span on the kernel tracks.
 * Module and op ranges (host time) go on the host's own track, "cpu", whose kernels run inside
 * the op that launched them, so it opens as step → module → op → kernel. Complete ("X") events on one track must nest strictly, so
 * a child that overruns its parent (asynchronous GPU timestamps can) is clipped to it and marked.
 */
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";

export interface StepSpan {
  step: number;
  start: number;
  end: number;
}

/** Time the run spent loading data (a dataset, a CSV file, the next batch): kept apart from the steps' compute. */
export interface DataSpan {
  name: string;
  start: number;
  end: number;
}

/** The track data loading is drawn on, in the timeline and the trace. */
export const DATA_TRACK = "data loading";

export interface ChromeTraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "M";
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: "ms";
  otherData: Record<string, string>;
}

const PID = 1;

/** The track an event is drawn on: transfers apart from compute, per device. */
export function trackOf(event: Pick<ProfileEvent, "device" | "category">): string {
  return event.category === "transfer" ? `${event.device} transfers` : event.device;
}

interface Span {
  name: string;
  cat: string;
  start: number;
  end: number;
  args?: Record<string, unknown>;
}

/** The track module and op ranges are drawn on: the host's, where synchronous kernels run. */
export const HOST_TRACK = "cpu";

/** Which of two equal spans is the parent: a step holds modules, a module ops, an op kernels. */
const NESTING_RANK: Record<string, number> = { step: 0, module: 1, op: 2 };
const rank = (cat: string) => NESTING_RANK[cat] ?? 3;

/** Sorts spans parent-first and clips any child that would stick out of its parent. */
export function nestSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end || rank(a.cat) - rank(b.cat));
  const stack: Span[] = [];
  const out: Span[] = [];
  for (const s of sorted) {
    while (stack.length && stack[stack.length - 1]!.end <= s.start) stack.pop();
    const parent = stack[stack.length - 1];
    let span = s;
    if (parent && s.end > parent.end) span = { ...s, end: parent.end, args: { ...s.args, clipped: true } };
    out.push(span);
    if (span.end > span.start) stack.push(span);
  }
  return out;
}

export function toChromeTrace(
  events: readonly ProfileEvent[],
  steps: readonly StepSpan[],
  origin = 0,
  meta: Record<string, string> = {},
  data: readonly DataSpan[] = [],
  ranges: readonly ProfileRange[] = [],
): ChromeTrace {
  const tracks = new Map<string, Span[]>();
  const spansOf = (track: string) => {
    let list = tracks.get(track);
    if (!list) tracks.set(track, (list = []));
    return list;
  };
  for (const e of events) {
    spansOf(trackOf(e)).push({
      name: e.name,
      cat: e.category,
      start: e.start - origin,
      end: e.start - origin + Math.max(0, e.duration),
      args: e.args ? { ...e.args } : undefined,
    });
  }
  for (const r of ranges) {
    spansOf(HOST_TRACK).push({ name: r.name, cat: r.kind, start: r.start - origin, end: r.start - origin + Math.max(0, r.duration) });
  }
  const computeTracks = [...tracks.keys()].filter((t) => !t.endsWith(" transfers"));

  for (const track of computeTracks) {
    for (const s of steps) spansOf(track).push({ name: `step ${s.step}`, cat: "step", start: s.start - origin, end: s.end - origin, args: { step: s.step } });
  }
  for (const d of data) spansOf(DATA_TRACK).push({ name: d.name, cat: "data", start: d.start - origin, end: d.end - origin });
  const traceEvents: ChromeTraceEvent[] = [{ name: "process_name", ph: "M", pid: PID, tid: 0, args: { name: "Polychip Studio run" } }];
  const names = [...tracks.keys()].sort();
  names.forEach((track, i) => {
    const tid = i + 1;
    traceEvents.push({ name: "thread_name", ph: "M", pid: PID, tid, args: { name: track } });
    traceEvents.push({ name: "thread_sort_index", ph: "M", pid: PID, tid, args: { sort_index: tid } });
    for (const s of nestSpans(tracks.get(track)!)) {
      traceEvents.push({
        name: s.name,
        cat: s.cat,
        ph: "X",
        ts: micros(s.start),
        dur: micros(s.end - s.start),
        pid: PID,
        tid,
        ...(s.args ? { args: s.args } : {}),
      });
    }
  });
  return { traceEvents, displayTimeUnit: "ms", otherData: { producer: "polychip-studio", ...meta } };
}

/** Microseconds, rounded to a nanosecond so equal millisecond boundaries stay equal. */
function micros(ms: number): number {
  return Math.round(ms * 1e6) / 1e3;
}

/** Problems with the nesting of complete events per (pid, tid); empty when the trace nests. */
export function nestingProblems(trace: Pick<ChromeTrace, "traceEvents">): string[] {
  const problems: string[] = [];
  const byTrack = new Map<string, ChromeTraceEvent[]>();
  for (const e of trace.traceEvents) {
    if (e.ph !== "X") continue;
    const key = `${e.pid}/${e.tid}`;
    byTrack.set(key, [...(byTrack.get(key) ?? []), e]);
  }
  for (const [key, list] of byTrack) {
    const sorted = [...list].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: ChromeTraceEvent[] = [];
    for (const e of sorted) {
      if (e.dur! < 0) problems.push(`${key}: '${e.name}' has a negative duration`);
      while (stack.length && stack[stack.length - 1]!.ts! + stack[stack.length - 1]!.dur! <= e.ts!) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent && e.ts! + e.dur! > parent.ts! + parent.dur! + 1e-6) {
        problems.push(`${key}: '${e.name}' at ${e.ts} overlaps the end of '${parent.name}'`);
      }
      stack.push(e);
    }
  }
  return problems;
}
