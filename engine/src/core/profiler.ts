import type { ProfileEvent } from "@polychip/hal";

/** Collects profiler events from every device while recording. */
class Profiler {
  private events: ProfileEvent[] | undefined;
  private listeners = new Set<(e: ProfileEvent) => void>();
  private watchers = new Set<(recording: boolean) => void>();

  get recording(): boolean {
    return this.events !== undefined || this.listeners.size > 0;
  }

  start(): void {
    this.events = [];
    this.changed();
  }

  stop(): ProfileEvent[] {
    const out = this.events ?? [];
    this.events = undefined;
    this.changed();
    return out;
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

  /** Called with the new state whenever recording starts or stops (devices switch their timing on or off). */
  onRecordingChange(watcher: (recording: boolean) => void): void {
    this.watchers.add(watcher);
  }

  private changed(): void {
    for (const w of this.watchers) w(this.recording);
  }

  emit(event: ProfileEvent): void {
    this.events?.push(event);
    for (const l of this.listeners) l(event);
  }
}

export const profiler = new Profiler();
