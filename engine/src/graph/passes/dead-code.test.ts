import assert from "node:assert/strict";
import { test } from "node:test";
import { graph, info, init, node } from "../testing.ts";
import { deadCodeElimination } from "./dead-code.ts";

test("nodes and initializers the outputs do not depend on are removed; inputs stay", () => {
  const g = graph({
    inputs: [info("x", [2]), info("unused", [2])],
    outputs: [info("y", [2])],
    initializers: [init("w", [2], [1, 2]), init("orphan", [2], [3, 4])],
    nodes: [node("neg", ["x"], "dead1"), node("mul", ["dead1", "orphan"], "dead2"), node("mul", ["x", "w"], "y")],
  });
  const out = deadCodeElimination(g);
  assert.deepEqual(
    out.nodes.map((n) => n.outputs[0]),
    ["y"],
  );
  assert.deepEqual(
    out.initializers.map((i) => i.name),
    ["w"],
  );
  assert.deepEqual(
    out.inputs.map((i) => i.name),
    ["x", "unused"],
  );
});

test("a multi-output node stays when any of its outputs is used", () => {
  const g = graph({
    inputs: [info("x", [4])],
    outputs: [info("b", [2])],
    nodes: [node("split", ["x"], ["a", "b"], { axis: 0 })],
  });
  assert.equal(deadCodeElimination(g).nodes.length, 1);
});
