import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedCache } from "./bounded-cache.ts";

test("the cache drops the least recently used entry beyond its limit and releases it", () => {
  const released: string[] = [];
  const cache = new BoundedCache<string>({ limit: 2, release: (p) => released.push(p) });
  cache.add("a", "plan a");
  cache.add("b", "plan b");
  assert.equal(cache.get("a"), "plan a");
  cache.add("c", "plan c");
  assert.deepEqual(released, ["plan b"]);
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual(cache.stats, { added: 3, hits: 1, evictions: 1, readded: 0 });
});

test("a dropped key added again counts as readded and reports thrashing once", () => {
  const limits: number[] = [];
  const cache = new BoundedCache<string>({ limit: 1, onThrash: (limit) => limits.push(limit) });
  for (const key of ["a", "b", "a", "b"]) if (!cache.get(key)) cache.add(key, key);
  assert.deepEqual(cache.stats, { added: 4, hits: 0, evictions: 3, readded: 2 });
  assert.deepEqual(limits, [1]);
});

test("a cache set to report evictions reports the first one, even for keys never seen before", () => {
  let reports = 0;
  const cache = new BoundedCache<string>({ limit: 2, thrashOn: "eviction", onThrash: () => reports++ });
  for (const key of ["a", "b"]) cache.add(key, key);
  assert.equal(reports, 0);
  for (const key of ["c", "d"]) cache.add(key, key);
  assert.equal(reports, 1);
});

test("a growing cache raises its limit to what one pass needs, so a cycle of keys stops missing", () => {
  const cache = new BoundedCache<string>({ limit: 2, grows: true });
  cache.makeRoomFor(3);
  for (const round of [1, 2]) for (const key of ["a", "b", "c"]) if (!cache.get(key)) cache.add(key, `${key}${round}`);
  assert.deepEqual(cache.stats, { added: 3, hits: 3, evictions: 0, readded: 0 });
});

test("a cache whose limit the user chose does not grow", () => {
  const cache = new BoundedCache<string>({ limit: 2 });
  cache.makeRoomFor(3);
  for (const key of ["a", "b", "c"]) cache.add(key, key);
  assert.equal(cache.size, 2);
});

test("adding under a kept key replaces the entry and releases the old one", () => {
  const released: string[] = [];
  const cache = new BoundedCache<string>({ limit: 2, release: (p) => released.push(p) });
  cache.add("a", "ran once");
  cache.add("a", "plan");
  assert.deepEqual(released, ["ran once"]);
  assert.equal(cache.get("a"), "plan");
  assert.equal(cache.size, 1);
});

test("clearing the cache releases every entry", () => {
  const released: string[] = [];
  const cache = new BoundedCache<string>({ limit: 4, release: (p) => released.push(p) });
  cache.add("a", "plan a");
  cache.add("b", "plan b");
  cache.clear();
  assert.deepEqual(released, ["plan a", "plan b"]);
  assert.equal(cache.size, 0);
});
