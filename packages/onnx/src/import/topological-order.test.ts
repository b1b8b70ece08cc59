import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError } from "@polychip/hal";
import { buildModel } from "../testing/model-builder.ts";
import { rounded, runOnnx } from "../testing/run-model.ts";
import { importOnnx } from "./importer.ts";
import { topologicalOrder } from "./topological-order.ts";

const node = (name: string, input: string[], output: string[]) => ({ name, opType: "Relu", input, output });

test("a graph whose nodes come before their producers (as float16 converters write them) runs like the sorted graph", async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Mul", inputs: ["cast", "cast"], outputs: ["y"] },
      { op: "Neg", inputs: ["x"], outputs: ["negated"] },
      { op: "Relu", inputs: ["negated"], outputs: ["cast"] },
    ],
  });
  const { y } = await runOnnx(model, { x: { data: [-3, 2], shape: [2] } });
  assert.deepEqual(rounded(y!.data as Float32Array), [9, 0]);
});

test("nodes already in order keep their order and indices; others follow their producers, stably", () => {
  const sorted = [node("a", ["x"], ["a"]), node("b", ["a"], ["b"]), node("c", ["x"], ["c"])];
  assert.deepEqual(
    topologicalOrder(sorted, "g").map(([i]) => i),
    [0, 1, 2],
  );
  const shuffled = [node("d", ["b", "c"], ["d"]), node("b", ["a"], ["b"]), node("c", ["outer"], ["c"]), node("a", ["x"], ["a"])];
  assert.deepEqual(
    topologicalOrder(shuffled, "g").map(([, n]) => n.name),
    ["a", "b", "c", "d"],
  );
});

test("a cycle is refused naming a node on it", () => {
  const cycle = [node("p", ["q"], ["p"]), node("q", ["p"], ["q"])];
  assert.throws(
    () => topologicalOrder(cycle, "ONNX graph"),
    (e: Error) => e instanceof FormatError && /ONNX graph: the nodes form a cycle: node '[pq]'/.test(e.message),
  );
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Add", inputs: ["x", "y"], outputs: ["y"] }],
  });
  assert.throws(() => importOnnx(model), /cycle: node 'Add_0' \(#0\) depends on its own output 'y'/);
});
