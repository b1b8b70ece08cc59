import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { LastRun } from "./last-run.ts";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer } from "./testing/model-builder.ts";

const x = (n: number) => ({ data: new Float32Array(n), shape: [n] });
const rate = (value: number) => ({ data: Int32Array.of(value), shape: [1], dtype: "int32" as const });

test("a last run matches feeds of the same shapes and the same selecting values only", () => {
  const last = new LastRun("plan", ["x", "sr"], { x: x(4), sr: rate(16000) }, ["sr"]);
  assert.ok(last.matches(["x", "sr"], { x: x(4), sr: rate(16000) }));
  assert.ok(!last.matches(["x", "sr"], { x: x(4), sr: rate(8000) }), "another value");
  assert.ok(!last.matches(["x", "sr"], { x: x(5), sr: rate(16000) }), "another shape");
  assert.ok(!last.matches(["x", "sr"], { x: x(4), sr: { data: Float32Array.of(16000), shape: [1] } }), "another dtype given");
  assert.ok(!last.matches(["x", "sr"], { x: x(4) }), "a missing input");
});

test("a last run selected by shapes alone ignores the values", () => {
  const last = new LastRun("plan", ["x"], { x: x(3) }, []);
  assert.ok(last.matches(["x"], { x: { data: Float32Array.of(1, 2, 3), shape: [3] } }));
});

// y = x * 2 when mode > 0, else -x: the If's condition is computed from the one-value input `mode`.
const flagIf = buildModel({
  opset: 13,
  inputs: [
    { name: "x", type: "float32", shape: [3] },
    { name: "mode", type: "float32", shape: [1] },
  ],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Greater", inputs: ["mode", "zero"], outputs: ["on"] },
    { op: "Squeeze", inputs: ["on"], outputs: ["cond"] },
    {
      op: "If",
      inputs: ["cond"],
      outputs: ["y"],
      attrs: {
        then_branch: {
          graph: { inputs: [], outputs: [{ name: "a", type: "float32" }], nodes: [{ op: "Add", inputs: ["x", "x"], outputs: ["a"] }] },
        },
        else_branch: { graph: { inputs: [], outputs: [{ name: "b", type: "float32" }], nodes: [{ op: "Neg", inputs: ["x"], outputs: ["b"] }] } },
      },
    },
  ],
  initializers: [initializer("zero", [0], [])],
});

test("repeated runs with the same flag value skip finding the plan; another value finds its own", async () => {
  const session = await OnnxSession.create(flagIf, { device: "cpu" });
  try {
    const run = async (values: number[], mode: number) =>
      Array.from((await session.run({ x: { data: Float32Array.from(values), shape: [3] }, mode: { data: Float32Array.of(mode), shape: [1] } })).y!.data);
    assert.deepEqual(await run([1, -2, 3], 1), [2, -4, 6]);
    const lookups = session.planStats.shapes.hits + session.planStats.shapes.imports;
    assert.deepEqual(await run([0.5, 1, -1], 1), [1, 2, -2]);
    assert.deepEqual(await run([4, 5, 6], 1), [8, 10, 12]);
    assert.equal(session.planStats.shapes.hits + session.planStats.shapes.imports, lookups, "no plan lookup for the same flag");
    assert.deepEqual(await run([1, -2, 3], 0), [-1, 2, -3]);
    assert.ok(session.planStats.shapes.hits + session.planStats.shapes.imports > lookups, "a new flag value finds its plan");
    assert.deepEqual(await run([1, -2, 3], 1), [2, -4, 6]);
    assert.deepEqual(await run([7, 8, 9], 0), [-7, -8, -9]);
  } finally {
    session.dispose();
  }
});
