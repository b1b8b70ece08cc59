import assert from "node:assert/strict";
import { test } from "node:test";
import { Struct } from "./struct.ts";

const GEO = new Struct(["x", "y", "n"] as const);

test("a struct's record holds the fields in order, and slot names each field's word", () => {
  const record = GEO.record({ x: 64, y: 128, n: 7 });
  assert.deepEqual(Array.from(record), [64, 128, 7]);
  assert.deepEqual([GEO.slot("x"), GEO.slot("y"), GEO.slot("n")], [0, 1, 2]);
  const memory = new Int32Array(8);
  GEO.write(memory, 8, { x: 1, y: 2, n: 3 });
  record[GEO.slot("y")] = 2;
  memory.set(record, 5);
  assert.deepEqual(Array.from(memory), [0, 0, 1, 2, 3, 64, 2, 7]);
});

test("a struct refuses a field that is not an integer", () => {
  assert.throws(() => GEO.record({ x: 1.5, y: 0, n: 0 }), /struct field x must be an integer/);
});
