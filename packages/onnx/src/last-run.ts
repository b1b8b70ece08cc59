import { isRawView, type RuntimeInput } from "@polychip/engine/runtime";

/**
 * What selected the last run's plan: its input shapes (by input name; undefined for a missing
 * input) and the values of the few small inputs the plan was chosen by (Silero's sample rate,
 * through an If whose condition OnnxSession computed from it). A run whose feeds match goes
 * straight to that plan, without building a signature or looking up the computed values.
 */
export class LastRun<P> {
  private readonly shapes: (readonly number[] | undefined)[];
  /** The selecting inputs with the dtype given (or none) and a copy of their values. */
  private readonly values: readonly { readonly name: string; readonly dtype: string | undefined; readonly data: readonly number[] }[];

  constructor(
    readonly plan: P,
    names: readonly string[],
    feeds: Readonly<Record<string, RuntimeInput>>,
    selectedBy: readonly string[],
  ) {
    this.shapes = names.map((n) => (feeds[n]?.shape === undefined ? undefined : [...feeds[n]!.shape]));
    // A device view never matches (its values are not on the host), so such a run goes through prepare() again.
    this.values = selectedBy.map((name) => {
      const feed = feeds[name];
      return {
        name,
        dtype: feed && !isRawView(feed) ? feed.dtype : "device view",
        data: feed && !isRawView(feed) ? Array.from(feed.data as ArrayLike<number>) : [],
      };
    });
  }

  /** Whether `feeds` have exactly these shapes and selecting values (prepare() would find the same plan). */
  matches(names: readonly string[], feeds: Readonly<Record<string, RuntimeInput>>): boolean {
    for (let k = 0; k < names.length; k++) {
      const want = this.shapes[k];
      const got = feeds[names[k]!]?.shape;
      if (want === undefined || got === undefined) {
        if (want !== got) return false;
        continue;
      }
      if (!Array.isArray(got) || got.length !== want.length) return false;
      for (let d = 0; d < want.length; d++) if (got[d] !== want[d]) return false;
    }
    for (const { name, dtype, data } of this.values) {
      const feed = feeds[name];
      if (!feed || isRawView(feed) || feed.dtype !== dtype || feed.data.length !== data.length) return false;
      for (let i = 0; i < data.length; i++) if (!Object.is(feed.data[i], data[i])) return false;
    }
    return true;
  }
}
