import assert from "node:assert/strict";
import { test } from "node:test";
import { sizeClass } from "./size-classes.ts";

test("size classes are whole words, at least 16 bytes, powers of two up to 256", () => {
  assert.deepEqual([0, 1, 16, 17, 100, 256].map(sizeClass), [16, 16, 16, 32, 128, 256]);
});

test("above 256 bytes a class wastes at most a quarter of the request", () => {
  for (const n of [257, 1000, 4097, 123_457, 10_000_001]) {
    const c = sizeClass(n);
    assert.ok(c >= n && c % 4 === 0 && c <= n * 1.25 + 4, `${n} -> ${c}`);
  }
  assert.equal(sizeClass(1000), sizeClass(990));
});
