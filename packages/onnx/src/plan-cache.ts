/** What a plan cache has done so far: imports made, lookups answered, entries dropped and imported again. */
export interface PlanCacheStats {
  /** Entries made (each an import of the model). */
  readonly imports: number;
  /** Lookups answered from the cache. */
  readonly hits: number;
  /** Entries dropped to stay within the limit (least recently used first). */
  readonly evictions: number;
  /** Imports of a key that was dropped earlier: the limit is too small for the shapes (or counts) in use. */
  readonly replans: number;
}

/**
 * OnnxSession's plans, least recently used dropped beyond `limit`, as the engine's compile cache
 * keeps its plans. Importing a key that was dropped before means the plans in use do not fit: the
 * first time, one warning says which limit to raise (each such run pays a full import).
 */
export class PlanCache<T> {
  private readonly entries = new Map<string, T>();
  /** Keys dropped lately (at most 4 × limit remembered), to tell a thrashing cache from a growing one. */
  private readonly dropped = new Set<string>();
  private counts = { imports: 0, hits: 0, evictions: 0, replans: 0 };
  private warned = false;

  constructor(
    private limit: number,
    /** Names the limit in the warning ("maxPlans", "maxCountPlans"). */
    private readonly option: string,
    private readonly release: (entry: T) => void,
    /** Whether makeRoomFor may raise the limit (not when the user chose it). */
    private readonly grows = false,
  ) {}

  /**
   * Raises the limit to `n` (never lowers it) when it may grow. A run that looks up more entries
   * than the limit, in the same order every run, would otherwise drop each one just before its
   * next use and import every time.
   */
  makeRoomFor(n: number): void {
    if (this.grows && n > this.limit) this.limit = n;
  }

  get stats(): PlanCacheStats {
    return { ...this.counts };
  }

  get size(): number {
    return this.entries.size;
  }

  values(): IterableIterator<T> {
    return this.entries.values();
  }

  /** The entry for `key`, now the most recently used; undefined when absent. */
  get(key: string): T | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    this.counts.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** Adds a freshly imported entry, dropping (and releasing) the least recently used beyond the limit. */
  add(key: string, entry: T): void {
    this.counts.imports++;
    if (this.dropped.delete(key)) {
      this.counts.replans++;
      if (!this.warned) {
        this.warned = true;
        console.warn(
          `OnnxSession: a plan dropped to stay within ${this.option} = ${this.limit} was needed again and imported anew; ` +
            `more input shapes (or data-dependent counts) are in use than fit. Raise ${this.option} to keep them`,
        );
      }
    }
    this.entries.set(key, entry);
    while (this.entries.size > this.limit) {
      const [oldest, dropped] = this.entries.entries().next().value as [string, T];
      this.entries.delete(oldest);
      this.counts.evictions++;
      this.dropped.add(oldest);
      if (this.dropped.size > 4 * this.limit) this.dropped.delete(this.dropped.values().next().value!);
      this.release(dropped);
    }
  }

  clear(): void {
    for (const entry of this.entries.values()) this.release(entry);
    this.entries.clear();
    this.dropped.clear();
  }
}
