/**
 * Collects what a run produces (console lines, metrics, profiler events, step spans) and sends it
 * to the page in batches: at most every 100 ms while the run pushes, and on a timer for code that
 * awaits. Sending is a postMessage, so it works even while user code keeps the worker busy.
 *
 * The sink is a comlink proxy on its own MessageChannel, so its messages are not ordered against
 * the run's reply: close() waits until the page has taken every batch, or the run's result could
 * overtake its last console lines and the model it handed over.
 */
import type { RunBatch, RunSink } from "./protocol.ts";

const FLUSH_MS = 100;
const MAX_EVENTS = 4000;

export class RunBuffer {
  private batch: RunBatch;
  private lastFlush = performance.now();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly sink: RunSink,
    private readonly origin: number,
    private readonly snapshot: () => Pick<RunBatch, "memory">,
  ) {
    this.batch = this.empty();
    this.timer = setInterval(() => this.flush(), FLUSH_MS * 2);
  }

  private empty(): RunBatch {
    return { origin: this.origin, console: [], metrics: [], events: [], ranges: [], steps: [], data: [] };
  }

  push<K extends "console" | "metrics" | "events" | "ranges" | "steps" | "data">(kind: K, item: RunBatch[K][number]): void {
    (this.batch[kind] as unknown[]).push(item);
    if (performance.now() - this.lastFlush >= FLUSH_MS || this.batch.events.length + this.batch.ranges.length >= MAX_EVENTS) this.flush();
  }

  set(part: Partial<Pick<RunBatch, "model" | "graphs">>): void {
    Object.assign(this.batch, part);
    this.flush();
  }

  flush(): void {
    this.lastFlush = performance.now();
    const b = this.batch;
    if (!b.console.length && !b.metrics.length && !b.events.length && !b.ranges.length && !b.steps.length && !b.data.length && !b.model && !b.graphs) return;
    this.batch = this.empty();
    try {
      Object.assign(b, this.snapshot());
    } catch {
      /* memory figures are a nicety; never fail a flush over them */
    }
    const delivery = Promise.resolve(this.sink.batch(b)).catch(() => undefined);
    this.inFlight.add(delivery);
    void delivery.then(() => this.inFlight.delete(delivery));
  }

  /** Sends what is left and resolves once the page has received every batch. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    await Promise.all(this.inFlight);
  }
}
