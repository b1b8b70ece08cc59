import assert from "node:assert/strict";
import { test } from "node:test";
import { PolychipError } from "@polychip/hal";
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, IMAGE_PIXELS, type Split } from "./fashion-mnist.ts";
import { batchCount, batches, batchShape, DataLoader } from "./loader.ts";
import { shuffledIndices } from "./shuffle.ts";

/** Ten images where every pixel of image i is i * 25 and its label is i. */
function rampSplit(count = 10): Split {
  const images = new Uint8Array(count * IMAGE_PIXELS);
  for (let i = 0; i < count; i++) images.fill(i * 25, i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i), count };
}

const labelsOf = (split: Split, options: Parameters<typeof batches>[1]) => [...batches(split, options)].flatMap((batch) => [...batch.y]);

test("batches have size*784 pixels, size labels, and a smaller last batch", () => {
  const all = [...batches(rampSplit(), { batchSize: 4 })];
  assert.deepEqual(
    all.map((b) => b.size),
    [4, 4, 2],
  );
  assert.deepEqual(
    all.map((b) => b.x.length),
    [4 * 784, 4 * 784, 2 * 784],
  );
  assert.deepEqual(
    all.map((b) => b.y.length),
    [4, 4, 2],
  );
  assert.ok(all[0]!.x instanceof Float32Array && all[0]!.y instanceof Int32Array);
});

test("dropLast skips the short final batch", () => {
  const all = [...batches(rampSplit(), { batchSize: 4, dropLast: true })];
  assert.deepEqual(
    all.map((b) => b.size),
    [4, 4],
  );
  assert.equal(batchCount(10, 4, true), 2);
  assert.equal(batchCount(10, 4, false), 3);
});

test("without shuffle the samples come in file order with their own pixels", () => {
  const [first] = batches(rampSplit(), { batchSize: 3 });
  assert.deepEqual([...first!.y], [0, 1, 2]);
  assert.equal(first!.x[784 + 100], Math.fround(25 / 255));
});

test("pixels are scaled to [0, 1] by default", () => {
  const [batch] = batches(rampSplit(11), { batchSize: 11 });
  assert.equal(batch!.x[0], 0);
  assert.equal(batch!.x[10 * 784], Math.fround(250 / 255));
  const images = new Uint8Array(784).fill(255);
  const [white] = batches({ images, labels: Uint8Array.of(0), count: 1 }, { batchSize: 1 });
  assert.equal(white!.x[0], 1);
});

test("standardize: true applies the Fashion-MNIST mean 0.2860 and std 0.3530", () => {
  const [batch] = batches(rampSplit(), { batchSize: 10, standardize: true });
  assert.equal(FASHION_MNIST_MEAN, 0.286);
  assert.equal(FASHION_MNIST_STD, 0.353);
  assert.equal(batch!.x[0], Math.fround(-0.286 / 0.353));
  assert.equal(batch!.x[4 * 784], Math.fround((100 / 255 - 0.286) / 0.353));
});

test("standardize accepts custom statistics and refuses a non-positive std", () => {
  const [batch] = batches(rampSplit(), { batchSize: 10, standardize: { mean: 0.5, std: 0.5 } });
  assert.equal(batch!.x[0], -1);
  assert.throws(() => [...batches(rampSplit(), { batchSize: 2, standardize: { mean: 0, std: 0 } })], PolychipError);
});

test("a batchSize that is not a positive integer is refused", () => {
  assert.throws(() => [...batches(rampSplit(), { batchSize: 0 })], /batchSize must be a positive integer, got 0/);
  assert.throws(() => new DataLoader(rampSplit(), { batchSize: 1.5 }), PolychipError);
});

test("shuffling with a seed is a permutation, the same on every run", () => {
  const first = labelsOf(rampSplit(), { batchSize: 3, shuffle: true, seed: 42 });
  const again = labelsOf(rampSplit(), { batchSize: 3, shuffle: true, seed: 42 });
  assert.deepEqual(first, again);
  assert.deepEqual(
    [...first].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.notDeepEqual(first, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("shuffled samples keep their pixels with their labels", () => {
  for (const batch of batches(rampSplit(), { batchSize: 4, shuffle: true, seed: 7 })) {
    for (let b = 0; b < batch.size; b++) assert.equal(batch.x[b * 784 + 5], Math.fround((batch.y[b]! * 25) / 255));
  }
});

test("the shuffle of epoch e is the shuffle of seed + e", () => {
  const epoch3 = labelsOf(rampSplit(), { batchSize: 10, shuffle: true, seed: 5, epoch: 3 });
  assert.deepEqual(epoch3, labelsOf(rampSplit(), { batchSize: 10, shuffle: true, seed: 8 }));
  assert.deepEqual(epoch3, [...shuffledIndices(10, 8)]);
});

test("shuffledIndices is pinned: the order for seed 1 never changes across versions", () => {
  assert.deepEqual([...shuffledIndices(8, 1)], PINNED_SEED_1);
});

test("a DataLoader gives each epoch a new order and repeats across loaders", () => {
  const loader = new DataLoader(rampSplit(), { batchSize: 4, shuffle: true, seed: 9 });
  assert.equal(loader.length, 3);
  const epochs = [0, 1, 2].map(() => [...loader].flatMap((b) => [...b.y]));
  assert.equal(loader.epoch, 3);
  assert.notDeepEqual(epochs[0], epochs[1]);
  const other = new DataLoader(rampSplit(), { batchSize: 4, shuffle: true, seed: 9 });
  assert.deepEqual(
    [...other].flatMap((b) => [...b.y]),
    epochs[0],
  );
});

test("batchShape gives the flat and the image view of the same batch", () => {
  assert.deepEqual(batchShape(32, "flat"), [32, 784]);
  assert.deepEqual(batchShape(32, "image"), [32, 1, 28, 28]);
});

/** Computed once from shuffledIndices(8, 1); a change here reorders every seeded run. */
const PINNED_SEED_1 = [6, 5, 7, 1, 2, 3, 0, 4];
