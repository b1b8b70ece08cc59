import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProfileEvent } from "@polychip/hal";
import { summarizeRange } from "./range-summary.ts";

const kernel = (name: string, start: number, duration: number): ProfileEvent => ({ device: "cpu", name, category: "kernel", start, duration });

test("time inside the range per kernel, op and module, clipped to the range, with its share", () => {
  const events = [kernel("matmul", 100, 4), kernel("matmul", 106, 4), kernel("relu", 111, 1), kernel("add", 130, 1)];
  const ranges = [
    { name: "matmul", kind: "op" as const, start: 99, duration: 6, depth: 1 },
    { name: "Sequential", kind: "module" as const, start: 98, duration: 20, depth: 0 },
  ];
  // The range is 102..112 on the run's clock (origin 0): the first matmul is half inside.
  const s = summarizeRange(112, 102, 0, events, ranges, [{ name: "next batch", start: 90, end: 103 }]);
  assert.deepEqual([s.from, s.to], [102, 112]);
  const row = (kind: string, name: string) => s.rows.find((r) => r.kind === kind && r.name === name);
  assert.deepEqual(row("kernel", "matmul"), { kind: "kernel", name: "matmul", count: 2, ms: 6, share: 0.6 });
  assert.deepEqual(row("module", "Sequential"), { kind: "module", name: "Sequential", count: 1, ms: 10, share: 1 });
  assert.equal(row("op", "matmul")!.ms, 3);
  assert.equal(row("kernel", "relu")!.ms, 1);
  assert.equal(row("data", "next batch")!.ms, 1);
  assert.equal(row("kernel", "add"), undefined, "a kernel after the range is not in it");
  assert.deepEqual(s.rows.map((r) => r.name).slice(0, 2), ["Sequential", "matmul"], "longest first");
});

test("an origin shifts event times onto the range's clock; an empty range has no shares", () => {
  const s = summarizeRange(0, 10, 1000, [kernel("conv2d", 1002, 2)], [], []);
  assert.equal(s.rows[0]!.ms, 2);
  assert.equal(s.rows[0]!.share, 0.2);
  assert.equal(summarizeRange(5, 5, 1000, [kernel("conv2d", 1002, 6)], [], []).rows[0]!.share, 0);
});
