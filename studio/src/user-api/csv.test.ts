import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCsvTable } from "./csv.ts";

test("a header row is detected and numbers are parsed", () => {
  const t = parseCsvTable("label,x,y\n1,0.5,2\n0,1e-3,-4\n", "d.csv");
  assert.deepEqual(t.header, ["label", "x", "y"]);
  assert.deepEqual(t.rows, [
    [1, 0.5, 2],
    [0, 0.001, -4],
  ]);
});

test("a file without a header and with semicolons", () => {
  const t = parseCsvTable("1;2\n3;4", "d.csv");
  assert.equal(t.header, undefined);
  assert.equal(t.columns, 2);
});

test("a ragged row names the file and line", () => {
  assert.throws(() => parseCsvTable("a,b\n1,2\n3\n", "bad.csv"), /bad\.csv:3: expected 2 columns, found 1/);
});

test("a non-numeric cell names the column", () => {
  assert.throws(() => parseCsvTable("1,2\n3,x\n", "bad.csv"), /bad\.csv:2: column 2 is not a number/);
});
