import assert from "node:assert/strict";
import { test } from "node:test";
import { argsort, setDefaultDevice, sort, tensor, topk } from "../index.ts";

setDefaultDevice("cpu");

/** 100k values with many ties (a quadratic sort needs 10^10 comparisons here and never finishes in time). */
function manyValues(n: number): Float32Array {
  const values = new Float32Array(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values[i] = (state % 5000) / 7 - 300;
  }
  return values;
}

test("sort of 100k elements is n log n: stable, complete, within 2 s", { timeout: 2000 }, async () => {
  const n = 100_000;
  const host = manyValues(n);
  const [values, indices] = sort(tensor(host), -1, true);
  const v = await values.data();
  const idx = await indices.data();
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seen[idx[i]!] = 1;
    assert.equal(v[i], host[idx[i]!], `value ${i} is the element its index names`);
    if (i > 0) {
      assert.ok(v[i - 1]! >= v[i]!, `descending at ${i}`);
      if (v[i - 1] === v[i]) assert.ok(idx[i - 1]! < idx[i]!, `equal values keep their order at ${i}`);
    }
  }
  assert.equal(
    seen.reduce((a, b) => a + b, 0),
    n,
    "indices are a permutation",
  );
});

test("topk of a 100k row picks the k smallest in order", { timeout: 2000 }, async () => {
  const host = manyValues(100_000);
  const [values] = topk(tensor(host), 5, 0, false);
  const expected = [...host].sort((a, b) => a - b).slice(0, 5);
  assert.deepEqual([...(await values.data())], expected);
});

test("argsort runs along a middle dim of a 3-D tensor", async () => {
  const x = tensor([3, 1, 2, 0, 5, 4, 1, 1, 9, 8, 7, 6], { shape: [2, 3, 2] });
  assert.deepEqual(await argsort(x, 1).array(), [
    [
      [1, 1],
      [0, 0],
      [2, 2],
    ],
    [
      [0, 0],
      [2, 2],
      [1, 1],
    ],
  ]);
});
