import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";

/** Dropout's training_mode fed as a graph input is read per run, never taken as false. */
const model = buildModel({
  opset: 13,
  inputs: [
    { name: "x", type: "float32", shape: [2, 3] },
    { name: "training_mode", type: "bool", shape: [] },
  ],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [{ op: "Dropout", inputs: ["x", "", "training_mode"], outputs: ["y"] }],
});
const x = { data: Float32Array.from([1, -2, 3, -4, 5, -6]), shape: [2, 3], dtype: "float32" as const };
const mode = (on: boolean) => ({ data: Uint8Array.from([on ? 1 : 0]), shape: [], dtype: "bool" as const });

test("Dropout with training_mode false at run time is the identity", async () => {
  const session = await OnnxSession.create(model);
  const { y } = await session.run({ x, training_mode: mode(false) });
  assert.deepEqual(Array.from(y!.data), Array.from(x.data));
  session.dispose();
});

test("Dropout with training_mode true at run time is refused, in the same session too", async () => {
  const session = await OnnxSession.create(model);
  await session.run({ x, training_mode: mode(false) });
  await assert.rejects(session.run({ x, training_mode: mode(true) }), /Dropout.*training-mode dropout \(ratio 0.5\) is random/);
  session.dispose();
});

test("training-mode Dropout with ratio 0 keeps every element and an all-true mask", async () => {
  const zeroRatio = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [
      { name: "y", type: "float32" },
      { name: "mask", type: "bool" },
    ],
    nodes: [{ op: "Dropout", inputs: ["x", "ratio", "on"], outputs: ["y", "mask"] }],
    initializers: [initializer("ratio", [0], []), initializer("on", [1], [], "bool")],
  });
  const session = await OnnxSession.create(zeroRatio);
  const { y, mask } = await session.run({ x });
  assert.deepEqual(Array.from(y!.data), Array.from(x.data));
  assert.deepEqual(Array.from(mask!.data), [1, 1, 1, 1, 1, 1]);
  session.dispose();
});
