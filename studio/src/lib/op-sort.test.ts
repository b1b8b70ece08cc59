import { test } from "node:test";
import assert from "node:assert/strict";
import type { OpRow } from "./op-summary.ts";
import { nextSort, sortOpRows } from "./op-sort.ts";

const row = (name: string, count: number, totalMs: number, argTotals: Record<string, number> = {}): OpRow => ({
  device: "cpu",
  name,
  category: "kernel",
  count,
  totalMs,
  maxMs: totalMs,
  share: 0,
  argTotals,
  keys: [],
  programs: [],
});
const rows = [row("matmul", 10, 50), row("add", 100, 20), row("conv2d", 5, 80, { cycles: 7 })];

test("rows sort by count, average or name in either direction", () => {
  assert.deepEqual(
    sortOpRows(rows, { key: "count", descending: true }).map((r) => r.name),
    ["add", "matmul", "conv2d"],
  );
  assert.deepEqual(
    sortOpRows(rows, { key: "avgMs", descending: false }).map((r) => r.name),
    ["add", "matmul", "conv2d"],
  );
  assert.deepEqual(
    sortOpRows(rows, { key: "name", descending: false }).map((r) => r.name),
    ["add", "conv2d", "matmul"],
  );
});

test("rows without an NPU arg sort after those with it, whatever the direction", () => {
  assert.equal(sortOpRows(rows, { key: "arg:cycles", descending: true })[0]!.name, "conv2d");
  assert.equal(sortOpRows(rows, { key: "arg:cycles", descending: false })[0]!.name, "conv2d");
});

test("clicking a column again flips it; a new numeric column starts largest first", () => {
  assert.deepEqual(nextSort({ key: "totalMs", descending: true }, "totalMs"), { key: "totalMs", descending: false });
  assert.deepEqual(nextSort({ key: "totalMs", descending: true }, "count"), { key: "count", descending: true });
  assert.deepEqual(nextSort({ key: "totalMs", descending: true }, "name"), { key: "name", descending: false });
});
