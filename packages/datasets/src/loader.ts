/**
 * Batching a split into host arrays the engine turns into tensors.
 *
 * Layout: each batch's `x` holds `size` images one after the other, each 28 rows of 28 pixels.
 * That one buffer is both the flattened view [size, 784] (an MLP) and the image view
 * [size, 1, 28, 28] (a CNN, NCHW with one channel): both are row-major over the same bytes, so
 * picking one is a reshape, never a copy. `batchShape` gives either shape.
 */
import { PolychipError } from "@polychip/hal";
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS, type Split } from "./fashion-mnist.ts";
import { shuffledIndices } from "./shuffle.ts";

export interface Batch {
  /** size * 784 normalised pixels. */
  x: Float32Array;
  /** size class labels. */
  y: Int32Array;
  /** Images in this batch; the last one may be smaller than batchSize unless dropLast. */
  size: number;
}

export interface Standardization {
  mean: number;
  std: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Visit the samples in a seeded random order (default false: file order). */
  shuffle?: boolean;
  /** Shuffle seed; epoch e uses seed + e, so every epoch differs and every run repeats. Default 0. */
  seed?: number;
  /** Epoch number fed into the shuffle (default 0); DataLoader counts it for you. */
  epoch?: number;
  /** Skip the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Pixels are always scaled from 0..255 to [0, 1]; this then maps p to (p - mean) / std.
   * `true` uses the Fashion-MNIST training statistics (mean 0.2860, std 0.3530). Default false.
   */
  standardize?: boolean | Standardization;
}

export type BatchLayout = "flat" | "image";

/** [size, 784] for "flat", [size, 1, 28, 28] for "image": the same data either way. */
export function batchShape(size: number, layout: BatchLayout): number[] {
  return layout === "flat" ? [size, IMAGE_PIXELS] : [size, 1, IMAGE_ROWS, IMAGE_COLS];
}

export function batchCount(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** A 256-entry table from byte to normalised value: one multiply-add per pixel computed once. */
function pixelTable(standardize: BatchOptions["standardize"]): Float32Array {
  const stats: Standardization = standardize === true ? { mean: FASHION_MNIST_MEAN, std: FASHION_MNIST_STD } : standardize ? standardize : { mean: 0, std: 1 };
  if (!(stats.std > 0)) {
    throw new PolychipError(`batches: standardize.std must be positive, got ${stats.std}`);
  }
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - stats.mean) / stats.std;
  return table;
}

/** Yields the split in batches of host arrays. */
export function* batches(split: Split, options: BatchOptions): Generator<Batch> {
  const { batchSize, shuffle = false, seed = 0, epoch = 0, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new PolychipError(`batches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const table = pixelTable(options.standardize);
  const order = shuffle ? shuffledIndices(split.count, seed + epoch) : null;
  const { images, labels } = split;
  for (let start = 0; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start);
    if (size < batchSize && dropLast) return;
    const x = new Float32Array(size * IMAGE_PIXELS);
    const y = new Int32Array(size);
    for (let b = 0; b < size; b++) {
      const sample = order ? order[start + b]! : start + b;
      const from = sample * IMAGE_PIXELS;
      const to = b * IMAGE_PIXELS;
      for (let p = 0; p < IMAGE_PIXELS; p++) x[to + p] = table[images[from + p]!]!;
      y[b] = labels[sample]!;
    }
    yield { x, y, size };
  }
}

/** Iterating a DataLoader runs one epoch; each new iteration is the next epoch (new shuffle). */
export class DataLoader implements Iterable<Batch> {
  /** The epoch the next iteration will run. */
  epoch = 0;

  constructor(
    readonly split: Split,
    readonly options: Omit<BatchOptions, "epoch">,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new PolychipError(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    }
  }

  /** Batches per epoch. */
  get length(): number {
    return batchCount(this.split.count, this.options.batchSize, this.options.dropLast);
  }

  [Symbol.iterator](): Iterator<Batch> {
    return batches(this.split, { ...this.options, epoch: this.epoch++ });
  }
}
