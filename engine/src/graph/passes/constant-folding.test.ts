import assert from "node:assert/strict";
import { test } from "node:test";
import { execute } from "../../runtime/session.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { evaluateOnCpu } from "../../runtime/evaluate.ts";
import { constantFolding } from "./constant-folding.ts";

const run = async (g: Parameters<typeof execute>[0], x: Float32Array) => Array.from((await execute(g, { x: { data: x, shape: [2, 3] } })).y!.data);

test("nodes reading only initializers and constants are computed once and become initializers", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 3])],
    outputs: [info("y", ["batch", 3])],
    initializers: [init("w", [3], [1, 2, 3])],
    nodes: [
      node("fill", [], "two", { shape: [], value: 2, dtype: "float32" }),
      node("mul", ["w", "two"], "w2"),
      node("constant", [], "bias", { value: [0.5, 0.25, 0.125], shape: [3], dtype: "float32" }),
      node("add", ["w2", "bias"], "w3"),
      node("mul", ["x", "w3"], "y"),
    ],
  });
  const folded = await constantFolding(g, { evaluate: evaluateOnCpu });
  assert.deepEqual(
    folded.nodes.map((n) => n.op),
    ["mul"],
  );
  assert.deepEqual(
    folded.initializers.map((i) => [i.name, Array.from(i.data)]),
    [["w3", [2.5, 4.25, 6.125]]],
  );
  const x = values(6);
  assert.deepEqual(await run(folded, x), await run(g, x));
});

test("shape and size of a value whose shape is fully known fold, even though its data is not constant", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [3, 2])],
    nodes: [node("shape", ["x"], "s"), node("slice", ["s"], "rev", { starts: [-1], ends: [-10], steps: [-1] }), node("reshape", ["x", "rev"], "y")],
  });
  const folded = await constantFolding(g, { evaluate: evaluateOnCpu });
  assert.deepEqual(
    folded.nodes.map((n) => n.op),
    ["reshape"],
  );
  assert.deepEqual(Array.from(folded.initializers.find((i) => i.name === "rev")!.data), [3, 2]);
  const x = values(6, 3);
  assert.deepEqual(await run(folded, x), await run(g, x));
});

test("a node that would blow a small constant up into a large initializer stays a node", async () => {
  const g = graph({
    inputs: [info("x", [4, 4])],
    outputs: [info("y", [4, 4])],
    nodes: [node("fill", [], "big", { shape: [4, 4], value: 1, dtype: "float32" }), node("add", ["x", "big"], "y")],
  });
  assert.equal((await constantFolding(g, { evaluate: evaluateOnCpu, maxElements: 8 })).nodes.length, 2);
  assert.equal((await constantFolding(g, { evaluate: evaluateOnCpu })).nodes.length, 1);
});
