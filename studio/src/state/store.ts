/**
 * The studio's state outside React: runs stream thousands of events a second, so they are added
 * here and React is told at most once per animation frame (the page stays responsive).
 */
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";
import { OpSummary } from "../lib/op-summary.ts";
import type { DroppedSummary } from "../lib/dropped-files.ts";
import type {
  Availability,
  ConsoleEntry,
  DeviceReport,
  DroppedFile,
  FallbackInfo,
  GraphView,
  MemorySnapshot,
  MetricPoint,
  ModelSummary,
  RunBatch,
  StepSpan,
  DataSpan,
  UserErrorInfo,
} from "../worker/protocol.ts";

/** Events kept for the timeline; the op summary counts every event regardless. */
export const MAX_TIMELINE_EVENTS = 60_000;

/** Minimum time between two React renders caused by streamed data. */
const NOTIFY_MS = 150;

export type RunStatus = "idle" | "running" | "done" | "error" | "stopped" | "crashed";

export interface RunState {
  id: number;
  status: RunStatus;
  device: string;
  startedAt: number;
  durationMs?: number;
  origin?: number;
  error?: UserErrorInfo;
  fallback: FallbackInfo[];
}

export interface StudioState {
  version: number;
  run: RunState | undefined;
  metrics: MetricPoint[];
  console: ConsoleEntry[];
  events: ProfileEvent[];
  /** Module and op ranges of the run (the newest MAX_TIMELINE_EVENTS, like the events). */
  ranges: ProfileRange[];
  droppedEvents: number;
  steps: StepSpan[];
  dataSpans: DataSpan[];
  /** Graphs the run handed to showGraph(), by name. */
  shownGraphs: string[];
  summary: OpSummary;
  memory: MemorySnapshot[];
  model: ModelSummary | undefined;
  graph: Availability<GraphView> | undefined;
  devices: DeviceReport[] | undefined;
  features: Record<string, Availability<true>> | undefined;
  files: DroppedFile[];
  fileSummaries: DroppedSummary[];
  /** Ops that fell back to the CPU, per device, from the runs so far (the device guidance reads it). */
  fallbackSeen: Record<string, FallbackInfo[]>;
}

type Listener = () => void;

/** What one run produces: emptied when a new run starts. */
function emptyRunOutput(): Pick<
  StudioState,
  "metrics" | "console" | "events" | "ranges" | "droppedEvents" | "steps" | "dataSpans" | "shownGraphs" | "summary" | "memory" | "model" | "graph"
> {
  return {
    metrics: [],
    console: [],
    events: [],
    ranges: [],
    droppedEvents: 0,
    steps: [],
    dataSpans: [],
    shownGraphs: [],
    summary: new OpSummary(),
    memory: [],
    model: undefined,
    graph: undefined,
  };
}

export class StudioStore {
  private state: StudioState = {
    version: 0,
    run: undefined,
    ...emptyRunOutput(),
    devices: undefined,
    features: undefined,
    files: [],
    fileSummaries: [],
    fallbackSeen: {},
  };
  private listeners = new Set<Listener>();
  private scheduled = false;
  private lastNotify = 0;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getSnapshot = (): StudioState => this.state;

  /**
   * Applies a change and schedules one notification: at most every NOTIFY_MS, so a run that
   * streams thousands of events a second costs the page a few renders a second, not one per batch.
   */
  update(change: (s: StudioState) => Partial<StudioState>): void {
    this.state = { ...this.state, ...change(this.state), version: this.state.version + 1 };
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, NOTIFY_MS - (performance.now() - this.lastNotify));
    setTimeout(() => {
      this.scheduled = false;
      this.lastNotify = performance.now();
      for (const l of this.listeners) l();
    }, wait);
  }

  startRun(id: number, device: string): void {
    this.update(() => ({
      run: { id, status: "running", device, startedAt: Date.now(), fallback: [] },
      ...emptyRunOutput(),
    }));
  }

  /**
   * A stopped run's worker may have posted batches the page has not handled yet: they are dropped,
   * so what Stop froze (step count, charts, console, model) stays as it was.
   */
  addBatch(runId: number, b: RunBatch): void {
    if (this.state.run?.id !== runId || this.state.run.status !== "running") return;
    this.state.summary.add(b.events);
    this.update((s) => {
      let events = s.events;
      let dropped = s.droppedEvents;
      if (b.events.length) {
        events = events.concat(b.events);
        if (events.length > MAX_TIMELINE_EVENTS) {
          dropped += events.length - MAX_TIMELINE_EVENTS;
          events = events.slice(events.length - MAX_TIMELINE_EVENTS);
        }
      }
      return {
        metrics: b.metrics.length ? s.metrics.concat(b.metrics) : s.metrics,
        console: b.console.length ? s.console.concat(b.console).slice(-2000) : s.console,
        steps: b.steps.length ? s.steps.concat(b.steps) : s.steps,
        dataSpans: b.data.length ? s.dataSpans.concat(b.data) : s.dataSpans,
        events,
        ranges: b.ranges.length ? s.ranges.concat(b.ranges).slice(-MAX_TIMELINE_EVENTS) : s.ranges,
        droppedEvents: dropped,
        memory: b.memory ?? s.memory,
        model: b.model ?? s.model,
        shownGraphs: b.graphs ?? s.shownGraphs,
        run: s.run && s.run.origin === undefined ? { ...s.run, origin: b.origin } : s.run,
      };
    });
  }

  log(level: ConsoleEntry["level"], text: string): void {
    this.update((s) => ({ console: s.console.concat({ level, text, time: s.run ? Date.now() - s.run.startedAt : 0 }) }));
  }

  finishRun(runId: number, patch: Partial<RunState>): void {
    this.update((s) => (s.run?.id === runId ? { run: { ...s.run, ...patch } } : {}));
  }
}
