import { BoundedCache } from "@polychip/engine/core";

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
 * OnnxSession's plans, in the engine's bounded cache (as compile() keeps its plans). Importing a
 * key that was dropped before means the plans in use do not fit: the first time, one warning says
 * which option to raise (each such run pays a full import). `grows`: the limit may rise to hold
 * what one run uses (not when the user chose it).
 */
export function planCache<T>(limit: number, option: "maxPlans" | "maxCountPlans", release: (entry: T) => void, grows = false): BoundedCache<T> {
  return new BoundedCache<T>({
    limit,
    release,
    grows,
    onThrash: (limit) =>
      console.warn(
        `OnnxSession: a plan dropped to stay within ${option} = ${limit} was needed again and imported anew; ` +
          `more input shapes (or data-dependent counts) are in use than fit. Raise ${option} to keep them`,
      ),
  });
}

/** The cache's figures in OnnxSession's words. */
export function planCacheStats({ stats }: Pick<BoundedCache<unknown>, "stats">): PlanCacheStats {
  const { added, hits, evictions, readded } = stats;
  return { imports: added, hits, evictions, replans: readded };
}
