import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { inferShapes, noteShapes } from "./infer-shapes.ts";
import { graph, info, init, node, values } from "./testing.ts";

const shapeOf = (g: Parameters<typeof inferShapes>[0], name: string) => inferShapes(g).get(name)?.shape;

test("symbolic dims follow the ops: a dim that is the batch stays 'batch', a multiple of it is 'batch*k'", () => {
  const g = graph({
    inputs: [info("x", ["batch", 3, 8, 8])],
    outputs: [info("flat", ["?"])],
    initializers: [init("w", [4, 3, 3, 3], values(108))],
    nodes: [
      node("conv2d", ["x", "w"], "c", { pads: [1, 1, 1, 1] }),
      node("reshape", ["c"], "rows", { shape: [0, -1] }),
      node("reshape", ["rows"], "flat", { shape: [-1] }),
    ],
  });
  const shapes = inferShapes(g);
  assert.deepEqual(shapes.get("c")?.shape, ["batch", 4, 8, 8]);
  assert.deepEqual(shapes.get("rows")?.shape, ["batch", 256]);
  assert.deepEqual(shapes.get("flat")?.shape, ["batch*256"]);
  assert.deepEqual(shapes.get("w")?.shape, [4, 3, 3, 3]);
});

test("shape arithmetic (shape → gather → concat → reshape) is evaluated, symbols included", () => {
  const g = graph({
    inputs: [info("x", ["n", 2, 3])],
    outputs: [info("y", ["n", 6])],
    initializers: [init("zero", [1], [0], "int32"), init("minusOne", [1], [-1], "int32")],
    nodes: [
      node("shape", ["x"], "s"),
      node("gather", ["s", "zero"], "first", { axis: 0 }),
      node("concat", ["first", "minusOne"], "target", { axis: 0 }),
      node("reshape", ["x", "target"], "y"),
    ],
  });
  assert.deepEqual(shapeOf(g, "target"), [2]);
  assert.deepEqual(shapeOf(g, "y"), ["n", 6]);
});

test("a shape read from data computed at run time leaves the value out rather than guessing", () => {
  const g = graph({
    inputs: [info("x", [6]), info("target", [2], "int32")],
    outputs: [info("y", ["?"])],
    nodes: [node("reshape", ["x", "target"], "y"), node("neg", ["y"], "z")],
  });
  const shapes = inferShapes(g);
  assert.equal(shapes.has("y"), false);
  assert.equal(shapes.has("z"), false);
});

test("errors keep the op's class and name the node", () => {
  const bad = graph({ inputs: [info("a", [2, 3]), info("b", [4])], outputs: [info("c", [2, 3])], nodes: [node("add", ["a", "b"], "c")] });
  assert.throws(
    () => inferShapes(bad),
    (e: Error) => e instanceof ShapeError && /^node 0 \(add → %c\): add: shapes \[2, 3\] and \[4\] cannot be broadcast/.test(e.message),
  );
  const types = graph({ inputs: [info("a", [2]), info("b", [2], "int32")], outputs: [info("c", [2])], nodes: [node("add", ["a", "b"], "c")] });
  assert.throws(() => inferShapes(types), DTypeError);
  const unknown = graph({ inputs: [info("a", [2])], outputs: [info("c", [2])], nodes: [node("frobnicate", ["a"], "c")] });
  assert.throws(() => inferShapes(unknown), UnsupportedOpError);
  const arity = graph({ inputs: [info("a", [2])], outputs: [info("c", [2])], nodes: [node("add", ["a"], "c")] });
  assert.throws(() => inferShapes(arity), /add expects 2 inputs, got 1/);
});

test("a graph's shapes are inferred once; each caller gets its own map, and a graph with other lists infers anew", () => {
  const g = graph({ inputs: [info("x", [2, 3])], outputs: [info("y", [2, 3])], nodes: [node("relu", ["x"], "y")] });
  const first = inferShapes(g);
  first.delete("y");
  assert.deepEqual(inferShapes(g).get("y")?.shape, [2, 3]);
  const wider = { ...g, inputs: [info("x", [4, 3])] };
  assert.deepEqual(inferShapes(wider).get("y")?.shape, [4, 3]);
});

test("noteShapes gives a derived graph the shapes it keeps, in inference order, and nothing when one is missing", () => {
  const before = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [2, 3])],
    nodes: [node("relu", ["x"], "r"), node("neg", ["r"], "y")],
  });
  const types = inferShapes(before);
  const fused = graph({ inputs: before.inputs, outputs: before.outputs, nodes: [node("sigmoid", ["x"], "y")] });
  noteShapes(fused, types);
  assert.deepEqual([...inferShapes(fused).keys()], ["x", "y"]);
  const renamed = graph({ inputs: before.inputs, outputs: [info("z", [2, 3])], nodes: [node("relu", ["x"], "z")] });
  noteShapes(renamed, types);
  assert.deepEqual(inferShapes(renamed).get("z")?.shape, [2, 3]);
});
