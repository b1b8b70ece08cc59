import assert from "node:assert/strict";
import { test } from "node:test";
import "../../testing/first-party-devices.ts";
import { execute } from "../../runtime/session.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { algebraicSimplify } from "./algebraic-simplify.ts";

const x = info("x", [2, 3]);
const data = { x: { data: Array.from(values(6)), shape: [2, 3] } };

async function sameOutputs(a: ReturnType<typeof graph>, b: ReturnType<typeof graph>) {
  const [ra, rb] = [await execute(a, data, { fuse: false }), await execute(b, data, { fuse: false })];
  for (const name of Object.keys(ra)) assert.deepEqual(Array.from(rb[name]!.data), Array.from(ra[name]!.data), name);
}

test("neutral scalars disappear: x*1 + 0 - 0 then / 1 is x, and the output keeps its name", async () => {
  const g = graph({
    inputs: [x],
    outputs: [info("y", [2, 3])],
    initializers: [init("one", [], [1]), init("zero", [], [0])],
    nodes: [node("mul", ["x", "one"], "a"), node("add", ["zero", "a"], "b"), node("sub", ["b", "zero"], "c"), node("div", ["c", "one"], "y")],
  });
  const s = algebraicSimplify(g);
  assert.deepEqual(
    s.nodes.map((n) => [n.op, n.inputs]),
    [["identity", ["x"]]],
  );
  await sameOutputs(g, s);
});

test("a neutral scalar that broadcasts the result stays", () => {
  const g = graph({
    inputs: [info("s", [])],
    outputs: [info("y", [3])],
    initializers: [init("zeros", [3], [0, 0, 0])],
    nodes: [node("add", ["s", "zeros"], "y")],
  });
  assert.equal(algebraicSimplify(g).nodes[0]!.op, "add");
});

test("permutes compose, cancel, and a double negation, a same-dtype cast and x^1 vanish; x^2 is x*x", async () => {
  const g = graph({
    inputs: [x],
    outputs: [info("y", [2, 3]), info("z", [3, 2]), info("w", [2, 3])],
    initializers: [init("two", [], [2]), init("one", [], [1])],
    nodes: [
      node("permute", ["x"], "t", { dims: [1, 0] }),
      node("permute", ["t"], "u", { dims: [1, 0] }),
      node("neg", ["u"], "n1"),
      node("neg", ["n1"], "n2"),
      node("cast", ["n2"], "c", { to: "float32" }),
      node("pow", ["c", "one"], "y"),
      node("permute", ["x"], "z", { dims: [1, 0] }),
      node("pow", ["x", "two"], "w"),
    ],
  });
  const s = algebraicSimplify(g);
  assert.deepEqual(s.nodes.map((n) => n.op).sort(), ["identity", "mul", "permute"]);
  await sameOutputs(g, s);
});

test("a reshape of a reshape reads the original", async () => {
  const g = graph({
    inputs: [x],
    outputs: [info("y", [3, 2])],
    nodes: [node("reshape", ["x"], "r", { shape: [6] }), node("reshape", ["r"], "y", { shape: [3, 2] })],
  });
  const s = algebraicSimplify(g);
  assert.deepEqual(
    s.nodes.map((n) => [n.op, n.inputs]),
    [["reshape", ["x"]]],
  );
  await sameOutputs(g, s);
});
