import { PolychipError } from "@polychip/hal";
import { nextSeed } from "../ops/creation.ts";
import { Subset, type Dataset } from "./dataset.ts";
import { permutation } from "./shuffle.ts";

/**
 * Splits a dataset into non-overlapping random subsets, as torch.utils.data.random_split: lengths are
 * counts summing to the dataset's length, or fractions summing to 1 (remainders go round-robin to the
 * first subsets, as torch).
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: number[], seed?: number): Subset<T>[] {
  const n = dataset.length;
  let counts = lengths;
  const total = lengths.reduce((a, b) => a + b, 0);
  if (lengths.every((l) => l >= 0 && l <= 1) && Math.abs(total - 1) < 1e-9 && total !== n) {
    counts = lengths.map((f) => Math.floor(n * f));
    const rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rest; i++) counts[i % counts.length]!++;
  } else if (!lengths.every((l) => Number.isInteger(l) && l >= 0) || total !== n) {
    throw new PolychipError(`randomSplit: lengths ${JSON.stringify(lengths)} must be counts summing to the dataset's ${n} items or fractions summing to 1`);
  }
  const order = permutation(n, seed ?? nextSeed());
  let offset = 0;
  return counts.map((c) => new Subset(dataset, order.slice(offset, (offset += c))));
}
