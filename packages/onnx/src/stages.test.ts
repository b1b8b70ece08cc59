import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "./session.ts";
import { StagedGraph } from "./stages.ts";
import { buildModel } from "./testing/model-builder.ts";

/** u = RandomUniform[64] scaled by the input; the output keeps u's entries above 0.5 (NonZero on u > 0.5 sizes it). */
const model = buildModel({
  opset: 15,
  inputs: [{ name: "s", type: "float32", shape: [1] }],
  outputs: [
    { name: "u", type: "float32" },
    { name: "picked", type: "float32" },
  ],
  initializers: [],
  nodes: [
    { op: "RandomUniform", inputs: [], outputs: ["draw"], attrs: { shape: [64] } },
    { op: "Mul", inputs: ["draw", "s"], outputs: ["u"] },
    { op: "Constant", inputs: [], outputs: ["half"], attrs: { value_float: { float: 0.5 } } },
    { op: "Greater", inputs: ["u", "half"], outputs: ["mask"] },
    { op: "NonZero", inputs: ["mask"], outputs: ["where"] },
    { op: "Squeeze", inputs: ["where"], outputs: ["indices"], attrs: { axes: [0] } },
    { op: "Gather", inputs: ["u", "indices"], outputs: ["picked"] },
  ],
});

test("a random draw that sizes a NonZero is the draw its readers see, on every run", async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    for (let run = 0; run < 4; run++) {
      const got = await session.run({ s: { data: [1], shape: [1] } });
      const want = Array.from(got.u!.data).filter((v) => v > 0.5);
      assert.ok(want.length > 0 && want.length < 64, `run ${run}: a draw of 64 uniforms has ${want.length} above 0.5`);
      assert.deepEqual(Array.from(got.picked!.data), want, `run ${run}`);
    }
  } finally {
    session.dispose();
  }
});

test("a staged model's last stage reads the earlier stages' results instead of drawing again", async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const plan = await session.planFor({ s: { data: [1], shape: [1] } });
    assert.ok(
      plan.graph.nodes.every((n) => !n.op.startsWith("random")),
      `the final graph draws again: ${plan.graph.nodes.map((n) => n.op).join(", ")}`,
    );
    assert.ok(
      plan.graph.inputs.some((v) => v.name === "u"),
      `u comes from the first stage: inputs ${plan.graph.inputs.map((v) => v.name).join(", ")}`,
    );
  } finally {
    session.dispose();
  }
});

test("StagedGraph: lowers skips what earlier stages ran, and frontier names the values later nodes or the graph read", () => {
  // x -> A -> a -> B -> b -> C -> c (output); D reads a and c -> d (output).
  const node = (opType: string, input: string[], output: string[]) => ({ opType, input, output });
  const graph = new StagedGraph({
    node: [node("Relu", ["x"], ["a"]), node("Relu", ["a"], ["b"]), node("Relu", ["b"], ["c"]), node("Add", ["a", "c"], ["d"])],
    output: [{ name: "c" }, { name: "d" }],
  });
  const done = new Set<number>();
  assert.deepEqual(graph.lowers("b", done), [0, 1]);
  assert.deepEqual(graph.frontier([0, 1], done), ["a", "b"], "a is read by D, b by C");
  [0, 1].forEach((i) => done.add(i));
  assert.deepEqual(graph.lowers("a", done), [], "a was computed by the first stage");
  assert.deepEqual(graph.lowers("c", done), [2]);
  assert.deepEqual(graph.frontier([2], done), ["c"], "c is a graph output and read by D");
  done.add(2);
  assert.deepEqual(graph.lowers("d", done), [3]);
  assert.deepEqual(graph.frontier([3], done), ["d"]);
  assert.deepEqual(graph.lowers("d", new Set([1])), [0, 2, 3], "a set that is not a prefix of the order");
});
