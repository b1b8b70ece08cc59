import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "./session.ts";
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
