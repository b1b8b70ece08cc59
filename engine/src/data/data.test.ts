import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { arange, data, reshape, setDefaultDevice, tensor, type Tensor } from "../index.ts";

setDefaultDevice("cpu");

class Squares extends data.Dataset<{ x: number; label: string }> {
  get length() {
    return 10;
  }
  async get(i: number) {
    return { x: i * i, label: `n${i}` };
  }
}

async function collect<B>(loader: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

const values = async (t: Tensor) => Array.from(await t.data());

test("TensorDataset batches rows in order, the last batch smaller", async () => {
  const x = reshape(arange(0, 14, 1, { dtype: "float32" }), [7, 2]);
  const y = arange(0, 7);
  const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 3 });
  const batches = await collect(loader);
  assert.equal(loader.length, 3);
  assert.deepEqual(
    batches.map((b) => (b as Tensor[])[0]!.shape),
    [
      [3, 2],
      [3, 2],
      [1, 2],
    ],
  );
  assert.deepEqual(await values((batches[2] as Tensor[])[1]!), [6]);
  assert.equal((batches[0] as Tensor[])[1]!.dtype, "int32");
});

test("shuffle with a seed is reproducible, differs per epoch, and covers every item once", async () => {
  const ds = new data.TensorDataset(arange(0, 20));
  const order = async (seed: number) => {
    const loader = new data.DataLoader(ds, { batchSize: 4, shuffle: true, seed });
    const epochs: number[][] = [];
    for (let e = 0; e < 2; e++) epochs.push((await Promise.all((await collect(loader)).map((b) => values((b as Tensor[])[0]!)))).flat());
    return epochs;
  };
  const [a1, a2] = await order(5);
  const [b1] = await order(5);
  assert.deepEqual(a1, b1);
  assert.notDeepEqual(a1, a2);
  assert.deepEqual(
    [...a1!].sort((p, q) => p - q),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.notDeepEqual(
    a1,
    Array.from({ length: 20 }, (_, i) => i),
  );
});

test("dropLast drops the short batch; async items and objects collate field by field", async () => {
  const loader = new data.DataLoader(new Squares(), { batchSize: 4, dropLast: true });
  const batches = (await collect(loader)) as { x: Tensor; label: string[] }[];
  assert.equal(batches.length, 2);
  assert.deepEqual(await values(batches[1]!.x), [16, 25, 36, 49]);
  assert.deepEqual(batches[0]!.label, ["n0", "n1", "n2", "n3"]);
});

test("a custom collate receives the raw items", async () => {
  const loader = new data.DataLoader(new Squares(), { batchSize: 5, collate: (items) => items.map((i) => i.x).join(",") });
  assert.deepEqual(await collect(loader), ["0,1,4,9,16", "25,36,49,64,81"]);
});

test("an IterableDataset is batched as it streams and refuses shuffle", async () => {
  class Count extends data.IterableDataset<number> {
    *iterate() {
      for (let i = 0; i < 5; i++) yield i;
    }
  }
  const batches = (await collect(new data.DataLoader(new Count(), { batchSize: 2 }))) as Tensor[];
  assert.deepEqual(await Promise.all(batches.map(values)), [[0, 1], [2, 3], [4]]);
  assert.throws(() => new data.DataLoader(new Count(), { shuffle: true }), /IterableDataset cannot be shuffled/);
});

test("randomSplit makes disjoint subsets from counts or fractions", () => {
  const ds = new data.TensorDataset(arange(0, 10));
  const [a, b] = data.randomSplit(ds, [7, 3], 1);
  assert.deepEqual(
    [...a!.indices, ...b!.indices].sort((p, q) => p - q),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    data.randomSplit(ds, [0.5, 0.3, 0.2], 1).map((s) => s.length),
    [5, 3, 2],
  );
  assert.deepEqual(
    data.randomSplit(ds, [0.34, 0.33, 0.33], 1).map((s) => s.length),
    [4, 3, 3],
  );
  assert.throws(() => data.randomSplit(ds, [4, 4]), /must be counts summing to the dataset's 10 items/);
});

test("misuse gets clear errors", async () => {
  assert.throws(() => new data.TensorDataset(tensor([1, 2]), tensor([1])), /same first dim \(2\), got \[1\]/);
  assert.throws(() => new data.DataLoader(new Squares(), { batchSize: 0 }), /batchSize must be a positive integer/);
  assert.throws(() => new data.TensorDataset(tensor([1])).get(3), /index 3 is out of range for 1 items/);
  assert.throws(() => data.defaultCollate([new Map()]), /cannot batch Map/);
});

test("the data module imports nothing from Node, so it runs in a browser worker", () => {
  const dir = new URL("./", import.meta.url);
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
    const src = readFileSync(new URL(f, dir), "utf8");
    assert.doesNotMatch(src, /from "node:|require\(/, f);
  }
});
