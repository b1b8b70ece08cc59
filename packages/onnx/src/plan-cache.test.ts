import assert from "node:assert/strict";
import { test } from "node:test";
import { PlanCache } from "./plan-cache.ts";

test("the plan cache drops the least recently used entry beyond its limit and releases it", () => {
  const released: string[] = [];
  const cache = new PlanCache<string>(2, "maxPlans", (p) => released.push(p));
  cache.add("a", "plan a");
  cache.add("b", "plan b");
  assert.equal(cache.get("a"), "plan a");
  cache.add("c", "plan c");
  assert.deepEqual(released, ["plan b"]);
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual(cache.stats, { imports: 3, hits: 1, evictions: 1, replans: 0 });
});

test("a dropped plan imported again counts as a replan and warns once, naming the option to raise", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const cache = new PlanCache<string>(1, "maxCountPlans", () => {});
  for (const key of ["a", "b", "a", "b"]) if (!cache.get(key)) cache.add(key, key);
  assert.deepEqual(cache.stats, { imports: 4, hits: 0, evictions: 3, replans: 2 });
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0]!.arguments[0]), /Raise maxCountPlans/);
});

test("clearing the plan cache releases every entry", () => {
  const released: string[] = [];
  const cache = new PlanCache<string>(4, "maxPlans", (p) => released.push(p));
  cache.add("a", "plan a");
  cache.add("b", "plan b");
  cache.clear();
  assert.deepEqual(released, ["plan a", "plan b"]);
  assert.equal(cache.size, 0);
});
