import assert from "node:assert/strict";
import { test } from "node:test";
import { execute } from "../../runtime/session.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { commonSubexpressionElimination } from "./cse.ts";

test("identical nodes and identical initializers are merged, and the values do not change", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [2, 3])],
    initializers: [init("w1", [3], [1, 2, 3]), init("w2", [3], [1, 2, 3]), init("w3", [3], [1, 2, 4])],
    nodes: [
      node("mul", ["x", "w1"], "a"),
      node("mul", ["x", "w2"], "b"), // same as a once w2 is w1
      node("mul", ["x", "w3"], "c"), // different weights
      node("softmax", ["a"], "sa", { axis: 1 }),
      node("softmax", ["b"], "sb", { axis: 1 }),
      node("softmax", ["b"], "sc", { axis: 0 }), // different attributes
      node("add", ["sa", "sb"], "t"),
      node("add", ["t", "sc"], "u"),
      node("add", ["u", "c"], "y"),
    ],
  });
  const out = commonSubexpressionElimination(g);
  assert.deepEqual(
    out.initializers.map((i) => i.name),
    ["w1", "w3"],
  );
  assert.equal(out.nodes.length, g.nodes.length - 2);
  assert.deepEqual(out.nodes.find((n) => n.outputs[0] === "t")!.inputs, ["sa", "sa"]);
  const x = { x: { data: values(6), shape: [2, 3] } };
  const [before, after] = [await execute(g, x), await execute(out, x)];
  assert.deepEqual(Array.from(after.y!.data), Array.from(before.y!.data));
});

test("nodes whose outputs are graph outputs keep their names", () => {
  const g = graph({
    inputs: [info("x", [2])],
    outputs: [info("a", [2]), info("b", [2])],
    nodes: [node("neg", ["x"], "a"), node("neg", ["x"], "b")],
  });
  assert.equal(commonSubexpressionElimination(g).nodes.length, 2);
});
