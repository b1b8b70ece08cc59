import assert from "node:assert/strict";
import { test } from "node:test";
import { roundToFloat16 } from "@polychip/hal";
import { inferShapes } from "../graph/infer-shapes.ts";
import { graph, info, init, node, values } from "../graph/testing.ts";
import { createSession } from "../runtime/session.ts";
import { float16Graph } from "./float16.ts";

const mlp = graph({
  name: "mlp",
  inputs: [info("x", ["batch", 6])],
  outputs: [info("y", ["batch", 3])],
  initializers: [init("w", [3, 6], values(18, 1)), init("b", [3], values(3, 2)), init("index", [1], [0], "int32")],
  nodes: [
    node("matmul", ["x", "w"], "m", { transposeB: true }),
    node("add", ["m", "b"], "a"),
    node("constant", [], "half", { value: [0.5], shape: [], dtype: "float32" }),
    node("mul", ["a", "half"], "s"),
    node("softmax", ["s"], "y"),
  ],
});

test("fp16 deployment casts the inputs where they enter and the outputs back to float32 under their own names", () => {
  const h = float16Graph(mlp);
  assert.deepEqual(h.inputs, mlp.inputs);
  assert.deepEqual(h.outputs, mlp.outputs);
  assert.deepEqual(h.nodes[0], { op: "cast", inputs: ["x"], outputs: ["x_f16"], attrs: { to: "float16" } });
  assert.deepEqual(h.nodes[h.nodes.length - 1], { op: "cast", inputs: ["y_f16"], outputs: ["y"], attrs: { to: "float32" } });
  const types = inferShapes(h);
  for (const v of ["x_f16", "m", "a", "half", "s", "y_f16"]) assert.equal(types.get(v)!.dtype, "float16", `%${v}`);
  assert.equal(h.metadata?.precision, "float16");
});

test("float32 weights become float16 (rounded to half precision); integer ones stay", () => {
  const h = float16Graph(mlp);
  const w = h.initializers.find((i) => i.name === "w")!;
  assert.equal(w.dtype, "float16");
  assert.deepEqual(Array.from(w.data), Array.from(values(18, 1), roundToFloat16));
  assert.equal(h.initializers.find((i) => i.name === "index")!.dtype, "int32");
  assert.equal(h.nodes.find((n) => n.op === "constant")!.attrs.dtype, "float16");
});

test("the float16 graph computes the float32 one's values to half precision", async () => {
  const inputs = { x: { data: values(24, 3), shape: [4, 6] } };
  const [s32, s16] = [await createSession(mlp), await createSession(float16Graph(mlp))];
  const [want, got] = [(await s32.run(inputs)).y!, (await s16.run(inputs)).y!];
  assert.equal(got.dtype, "float32");
  for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs(got.data[i]! - want.data[i]!) < 4e-3, `${got.data[i]} vs ${want.data[i]}`);
  s32.dispose();
  s16.dispose();
});
