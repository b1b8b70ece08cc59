import type { ProfileEvent } from "@polychip/hal";

/** Collects profiler events from every device while recording. */
class Profiler {
  private events: ProfileEvent[] | undefined;
  private listeners = new Set<(e: ProfileEvent) => void>();

  get recording(): boolean {
    return this.events !== undefined || this.listeners.size > 0;
  }

  start(): void {
    this.events = [];
  }

  stop(): ProfileEvent[] {
    const out = this.events ?? [];
    this.events = undefined;
    return out;
  }

  /** Live events (the studio streams them); returns an unsubscribe function. */
  subscribe(listener: (e: ProfileEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ProfileEvent): void {
    this.events?.push(event);
    for (const l of this.listeners) l(event);
  }
}

export const profiler = new Profiler();
