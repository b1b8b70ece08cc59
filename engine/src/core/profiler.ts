import type { ProfileEvent } from "@polychip/hal";

/**
 * A span of host time the engine opened while recording: a module's forward ("Sequential/Conv2d[0]")
 * or one engine op ("conv2d"). Ranges nest (`depth` counts the ranges open around it); the kernels
 * an op launched on a synchronous device fall inside its range.
 */
export interface ProfileRange {
  readonly name: string;
  readonly kind: "module" | "op";
  readonly start: number;
  readonly duration: number;
  readonly depth: number;
}

/** Closes a range; the one `beginRange` hands out while not recording does nothing. */
export type EndRange = () => void;

const NOTHING: EndRange = () => undefined;

/** Collects profiler events from every device while recording. */
class Profiler {
  private events: ProfileEvent[] | undefined;
  private collected: ProfileRange[] | undefined;
  private lastRanges: ProfileRange[] = [];
  private listeners = new Set<(e: ProfileEvent) => void>();
  private rangeListeners = new Set<(r: ProfileRange) => void>();
  private watchers = new Set<(recording: boolean) => void>();
  private open = 0;
  /** Cached: modules and ops ask on every call, so the answer must cost a field read. */
  private on = false;

  get recording(): boolean {
    return this.on;
  }

  start(): void {
    this.events = [];
    this.collected = [];
    this.changed();
  }

  /** Stops recording; returns the device events. The ranges of the same recording are then in `ranges()`. */
  stop(): ProfileEvent[] {
    const out = this.events ?? [];
    this.lastRanges = this.collected ?? [];
    this.events = undefined;
    this.collected = undefined;
    this.changed();
    return out;
  }

  /** Module and op ranges of the last start()…stop() recording, in the order they closed. */
  ranges(): ProfileRange[] {
    return this.lastRanges;
  }

  /** Live events (the studio streams them); returns an unsubscribe function. */
  subscribe(listener: (e: ProfileEvent) => void): () => void {
    this.listeners.add(listener);
    this.changed();
    return () => {
      this.listeners.delete(listener);
      this.changed();
    };
  }

  /** Live module and op ranges, each when it closes (a subscription also turns recording on). */
  subscribeRanges(listener: (r: ProfileRange) => void): () => void {
    this.rangeListeners.add(listener);
    this.changed();
    return () => {
      this.rangeListeners.delete(listener);
      this.changed();
    };
  }

  /** Called with the new state whenever recording starts or stops (devices switch their timing on or off). */
  onRecordingChange(watcher: (recording: boolean) => void): void {
    this.watchers.add(watcher);
  }

  private changed(): void {
    this.on = this.events !== undefined || this.listeners.size > 0 || this.rangeListeners.size > 0;
    for (const w of this.watchers) w(this.on);
  }

  emit(event: ProfileEvent): void {
    this.events?.push(event);
    for (const l of this.listeners) l(event);
  }

  /** Opens a named range of host time; call the returned function to close it (in reverse order of opening). */
  beginRange(name: string, kind: ProfileRange["kind"]): EndRange {
    if (!this.on) return NOTHING;
    const start = performance.now();
    const depth = this.open++;
    return () => {
      this.open = Math.max(0, this.open - 1);
      const range: ProfileRange = { name, kind, start, duration: performance.now() - start, depth };
      this.collected?.push(range);
      for (const l of this.rangeListeners) l(range);
    };
  }
}

export const profiler = new Profiler();
