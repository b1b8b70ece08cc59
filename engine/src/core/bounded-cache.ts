/** What a bounded cache has done so far. */
export interface BoundedCacheStats {
  /** Entries added (each one built anew: a plan, an import). */
  readonly added: number;
  /** Lookups answered from the cache. */
  readonly hits: number;
  /** Entries dropped to stay within the limit (least recently used first). */
  readonly evictions: number;
  /** Entries added under a key dropped earlier: the limit is too small for the keys in use. */
  readonly readded: number;
}

export interface BoundedCacheOptions<T> {
  /** How many entries it keeps. */
  readonly limit: number;
  /** Frees what an entry holds when it is dropped or cleared. */
  readonly release?: (entry: T) => void;
  /**
   * Called once, the first time the cache thrashes: when an entry is first dropped ("eviction"),
   * or when a key dropped earlier is added again ("readd", the default: a growing set of keys is
   * not thrashing, the same keys cycling through a too-small cache is).
   */
  readonly onThrash?: (limit: number) => void;
  readonly thrashOn?: "eviction" | "readd";
  /** Whether makeRoomFor may raise the limit (not when the user chose it). */
  readonly grows?: boolean;
}

/**
 * Plans kept per key (an input signature, a step's structure), least recently used dropped
 * beyond a limit, with one warning when the limit is too small for the keys in use. compile()'s
 * plans and replays, and OnnxSession's plans, are kept in these.
 */
export class BoundedCache<T> {
  private readonly entries = new Map<string, T>();
  /** Keys dropped lately (at most 4 × limit remembered), to tell a thrashing cache from a growing one. */
  private readonly dropped = new Set<string>();
  private counts = { added: 0, hits: 0, evictions: 0, readded: 0 };
  private warned = false;
  private limit: number;

  constructor(private readonly options: BoundedCacheOptions<T>) {
    this.limit = options.limit;
  }

  /**
   * Raises the limit to `n` (never lowers it) when it may grow. A run that looks up more entries
   * than the limit, in the same order every time, would otherwise drop each one just before its
   * next use and rebuild every time.
   */
  makeRoomFor(n: number): void {
    if (this.options.grows && n > this.limit) this.limit = n;
  }

  get stats(): BoundedCacheStats {
    return { ...this.counts };
  }

  get size(): number {
    return this.entries.size;
  }

  values(): IterableIterator<T> {
    return this.entries.values();
  }

  /** Whether an entry is kept for `key` (not counted as a lookup; its place in the order is kept). */
  has(key: string): boolean {
    return this.entries.has(key);
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

  /** Adds a freshly built entry (replacing and releasing one under the same key), dropping the least recently used beyond the limit. */
  add(key: string, entry: T): void {
    this.counts.added++;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      if (previous !== entry) this.options.release?.(previous);
    }
    if (this.dropped.delete(key)) {
      this.counts.readded++;
      if ((this.options.thrashOn ?? "readd") === "readd") this.thrashed();
    }
    this.entries.set(key, entry);
    while (this.entries.size > this.limit) {
      const [oldest, dropped] = this.entries.entries().next().value as [string, T];
      this.entries.delete(oldest);
      this.counts.evictions++;
      this.dropped.add(oldest);
      if (this.dropped.size > 4 * this.limit) this.dropped.delete(this.dropped.values().next().value!);
      this.options.release?.(dropped);
      if (this.options.thrashOn === "eviction") this.thrashed();
    }
  }

  /** Drops every entry, releasing each. */
  clear(): void {
    for (const entry of this.entries.values()) this.options.release?.(entry);
    this.entries.clear();
    this.dropped.clear();
  }

  private thrashed(): void {
    if (this.warned) return;
    this.warned = true;
    this.options.onThrash?.(this.limit);
  }
}
