import { test } from "node:test";
import assert from "node:assert/strict";
import { layoutGraph } from "./graph-layout.ts";

test("a chain is one node per layer", () => {
  const l = layoutGraph([
    { id: 0, inputs: ["x", "w"], outputs: ["a"] },
    { id: 1, inputs: ["a"], outputs: ["b"] },
    { id: 2, inputs: ["b"], outputs: ["y"] },
  ]);
  assert.deepEqual(
    l.placed.map((p) => [p.layer, p.column]),
    [
      [0, 0],
      [1, 0],
      [2, 0],
    ],
  );
  assert.deepEqual(l.edges, [
    [0, 1],
    [1, 2],
  ]);
  assert.equal(l.layers, 3);
});

test("branches share a layer and a join goes below both", () => {
  const l = layoutGraph([
    { id: 0, inputs: ["x"], outputs: ["h"] },
    { id: 1, inputs: ["h"], outputs: ["q"] },
    { id: 2, inputs: ["h"], outputs: ["k"] },
    { id: 3, inputs: ["q", "k"], outputs: ["s"] },
  ]);
  assert.deepEqual(
    l.placed.map((p) => [p.layer, p.column]),
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [2, 0],
    ],
  );
  assert.equal(l.columns, 2);
});
