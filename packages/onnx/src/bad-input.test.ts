import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, FormatError, PolychipError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { execute } from "@polychip/engine/runtime";
import { importOnnx } from "./import/importer.ts";
import { buildModel, initializer } from "./testing/model-builder.ts";

const model = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Add", inputs: ["x", "b"], outputs: ["s"] },
    { op: "Relu", inputs: ["s"], outputs: ["y"] },
  ],
  initializers: [initializer("b", [1, 2, 3], [3])],
});

/** The only acceptable outcomes: a graph, or a typed PolychipError. */
function importOrTypedError(bytes: Uint8Array): "ok" | string {
  try {
    importOnnx(bytes);
    return "ok";
  } catch (err) {
    assert.ok(err instanceof PolychipError, `untyped error: ${(err as Error)?.stack ?? err}`);
    return err.name;
  }
}

test("every truncation of a model is refused with a FormatError or still imports", () => {
  const names = new Set<string>();
  for (let n = 0; n < model.length; n++) names.add(importOrTypedError(model.subarray(0, n)));
  assert.ok(names.has("FormatError"));
  assert.equal(importOrTypedError(new Uint8Array(0)), "FormatError");
});

test("bit-flipped models import or fail with typed errors", () => {
  for (let bit = 0; bit < model.length * 8; bit++) {
    const copy = model.slice();
    copy[bit >> 3]! ^= 1 << (bit & 7);
    importOrTypedError(copy);
  }
});

test("random bytes and non-bytes are FormatErrors", () => {
  let s = 12345;
  for (let k = 0; k < 200; k++) {
    const bytes = new Uint8Array(1 + (k % 97));
    for (let i = 0; i < bytes.length; i++) bytes[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
    const outcome = importOrTypedError(bytes);
    assert.notEqual(outcome, "ok");
  }
  assert.throws(() => importOnnx("model.onnx" as unknown as Uint8Array), FormatError);
});

test("a model with an unknown op is refused naming the op", () => {
  const bytes = buildModel({
    opset: 17,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "NotAnOnnxOp", inputs: ["x"], outputs: ["y"] }],
  });
  assert.throws(
    () => importOnnx(bytes),
    (e: Error) => e instanceof UnsupportedOpError && /NotAnOnnxOp/.test(e.message),
  );
});

test("a wrong input shape or dtype at run time is a ShapeError or DTypeError naming the input", async () => {
  const graph = importOnnx(model);
  await assert.rejects(execute(graph, { x: { data: new Float32Array(4), shape: [2, 2] } }), (e: Error) => e instanceof ShapeError && /'x'/.test(e.message));
  await assert.rejects(
    execute(graph, { x: { data: new Int32Array(6), shape: [2, 3], dtype: "int32" } }),
    (e: Error) => e instanceof DTypeError && /'x'/.test(e.message),
  );
  await assert.rejects(execute(graph, {}), (e: Error) => e instanceof PolychipError && /missing input 'x'/.test(e.message));
});
