import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import { gather } from "../ops/indexing.ts";
import { tensor } from "../ops/creation.ts";
import type { Tensor } from "../tensor.ts";

/** A map-style dataset, as torch.utils.data.Dataset: `length` items, item `i` from `get(i)` (may be async, e.g. a fetch in a browser). */
export abstract class Dataset<T> {
  abstract get length(): number;
  abstract get(index: number): T | Promise<T>;
}

/** A stream of items with no random access, as torch's IterableDataset (a file read line by line, a generator). */
export abstract class IterableDataset<T> {
  abstract iterate(): Iterable<T> | AsyncIterable<T>;
}

/** A dataset that can fetch many items at once; the DataLoader uses it instead of get() + collate when no collate is given. */
export interface BatchFetcher<T> {
  getBatch(indices: number[]): T;
}

/** Rows of equally long tensors: item i is [t0[i], t1[i], ...]; batches are one gather per tensor. */
export class TensorDataset extends Dataset<Tensor[]> implements BatchFetcher<Tensor[]> {
  readonly tensors: Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new PolychipError("TensorDataset: needs at least one tensor");
    const n = tensors[0]!.shape[0];
    const bad = tensors.find((t) => t.ndim === 0 || t.shape[0] !== n);
    if (bad) throw new ShapeError(`TensorDataset: every tensor needs the same first dim (${n}), got ${formatShape(bad.shape)}`);
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  get(index: number): Tensor[] {
    checkIndex("TensorDataset", index, this.length);
    return this.tensors.map((t) => t.select(0, index));
  }

  getBatch(indices: number[]): Tensor[] {
    indices.forEach((i) => checkIndex("TensorDataset", i, this.length));
    const idx = tensor(Int32Array.from(indices), { device: this.tensors[0]!.device });
    try {
      return this.tensors.map((t) => gather(t, idx, 0));
    } finally {
      idx.dispose();
    }
  }
}

/** The items of `dataset` at `indices`, in that order. */
export class Subset<T> extends Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: number[],
  ) {
    super();
    indices.forEach((i) => checkIndex("Subset", i, dataset.length));
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T | Promise<T> {
    checkIndex("Subset", index, this.length);
    return this.dataset.get(this.indices[index]!);
  }
}

export function checkIndex(where: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) throw new PolychipError(`${where}: index ${index} is out of range for ${length} items`);
}
