import { PolychipError } from "@polychip/hal";
import { nextSeed } from "../ops/creation.ts";
import { defaultCollate } from "./collate.ts";
import { Dataset, IterableDataset, type BatchFetcher } from "./dataset.ts";
import { permutation } from "./shuffle.ts";

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  shuffle?: boolean;
  /** Fixes the shuffle order: epoch e uses seed + e. Without it each epoch draws from the global stream (manualSeed). */
  seed?: number;
  /** Drops a last batch smaller than batchSize. */
  dropLast?: boolean;
  collate?: (items: T[]) => B;
}

/**
 * Batches a dataset, as torch's DataLoader, as an async iterable: `for await (const [x, y] of loader)`.
 * Items may be fetched asynchronously (a browser worker's fetch), and nothing here needs Node.
 * The batches' tensors belong to the caller: dispose them, or create them inside tidy.
 */
export class DataLoader<T, B = unknown> implements AsyncIterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private epoch = 0;

  constructor(
    readonly dataset: Dataset<T> | IterableDataset<T>,
    private readonly opts: DataLoaderOptions<T, B> = {},
  ) {
    this.batchSize = opts.batchSize ?? 1;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0)
      throw new PolychipError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (!(dataset instanceof Dataset) && !(dataset instanceof IterableDataset)) throw new PolychipError("DataLoader: expected a Dataset or an IterableDataset");
    if (dataset instanceof IterableDataset && this.shuffle)
      throw new PolychipError("DataLoader: an IterableDataset cannot be shuffled (it has no random access); shuffle its source instead");
  }

  /** Number of batches per epoch (map-style datasets only). */
  get length(): number {
    if (!(this.dataset instanceof Dataset)) throw new PolychipError("DataLoader: an IterableDataset has no length");
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const ds = this.dataset;
    if (ds instanceof IterableDataset) {
      let chunk: T[] = [];
      for await (const item of ds.iterate()) {
        chunk.push(item);
        if (chunk.length === this.batchSize) {
          yield this.collate(chunk);
          chunk = [];
        }
      }
      if (chunk.length && !this.dropLast) yield this.collate(chunk);
      return;
    }
    const order = this.order(ds.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      if (indices.length < this.batchSize && this.dropLast) break;
      const fetcher = ds as unknown as Partial<BatchFetcher<B>>;
      if (!this.opts.collate && typeof fetcher.getBatch === "function") yield fetcher.getBatch(indices);
      else yield this.collate(await Promise.all(indices.map((i) => ds.get(i))));
    }
  }

  private order(n: number): number[] {
    const epoch = this.epoch++;
    if (!this.shuffle) return Array.from({ length: n }, (_, i) => i);
    return permutation(n, this.opts.seed !== undefined ? (this.opts.seed + epoch) >>> 0 : nextSeed());
  }

  private collate(items: T[]): B {
    return (this.opts.collate ?? (defaultCollate as (items: T[]) => B))(items);
  }
}
