import assert from "node:assert/strict";
import { test } from "node:test";
import "../../testing/first-party-devices.ts";
import { execute } from "../../runtime/session.ts";
import { graph, info, init, node, values } from "../testing.ts";
import type { Graph } from "../ir.ts";
import { scalarsBeforeViews } from "./scalars-before-views.ts";

/** Runs both graphs on the same input and checks every output is equal, element for element. */
async function sameOutputs(a: Graph, b: Graph, shape: number[]) {
  const data = { x: { data: Array.from(values(shape.reduce((p, d) => p * d, 1))), shape } };
  const [ra, rb] = [await execute(a, data, { fuse: false }), await execute(b, data, { fuse: false })];
  for (const name of Object.keys(ra)) assert.deepEqual(Array.from(rb[name]!.data), Array.from(ra[name]!.data), name);
}

const summary = (g: Graph) => g.nodes.map((n) => `${n.op}(${n.inputs.join(",")})`);

test("a scaled transposed key becomes the transpose of the scaled key, through the reshape too", async () => {
  // Attention's key: [tokens, heads·dim] → [tokens, heads, dim] → [heads, dim, tokens], then · s.
  const g = graph({
    inputs: [info("x", [4, 6])],
    outputs: [info("scaled", [2, 3, 4])],
    initializers: [init("s", [1], [0.7])],
    nodes: [node("reshape", ["x"], "k", { shape: [4, 2, 3] }), node("permute", ["k"], "kt", { dims: [1, 2, 0] }), node("mul", ["kt", "s"], "scaled")],
  });
  const moved = scalarsBeforeViews(g);
  assert.deepEqual(summary(moved), ["mul(x,s)", "reshape(scaled\u0000before-view\u0000before-view)", "permute(scaled\u0000before-view)"]);
  await sameOutputs(g, moved, [4, 6]);
});

test("the one-element operand keeps its side (s - view, view / s)", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("a", [3, 2]), info("b", [3, 2])],
    initializers: [init("s", [], [3])],
    nodes: [
      node("permute", ["x"], "t", { dims: [1, 0] }),
      node("sub", ["s", "t"], "a"),
      node("permute", ["x"], "u", { dims: [1, 0] }),
      node("div", ["u", "s"], "b"),
    ],
  });
  const moved = scalarsBeforeViews(g);
  assert.deepEqual(summary(moved), ["sub(s,x)", "permute(a\u0000before-view)", "div(x,s)", "permute(b\u0000before-view)"]);
  await sameOutputs(g, moved, [2, 3]);
});

test("a permute read elsewhere too stays for that reader; a reshape read elsewhere too is not passed", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("a", [3, 2]), info("t", [3, 2]), info("b", [6]), info("r", [6])],
    initializers: [init("s", [], [2])],
    nodes: [
      node("permute", ["x"], "t", { dims: [1, 0] }),
      node("mul", ["t", "s"], "a"),
      node("reshape", ["t"], "r", { shape: [6] }),
      node("mul", ["r", "s"], "b"),
    ],
  });
  const moved = scalarsBeforeViews(g);
  assert.deepEqual(summary(moved), ["permute(x)", "mul(x,s)", "permute(a\u0000before-view)", "reshape(t)", "mul(r,s)"]);
  await sameOutputs(g, moved, [2, 3]);
});

test("an op inside an elementwise chain, or whose operand would broadcast the value, stays", () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [3, 2]), info("z", [1, 1, 3, 2])],
    initializers: [init("s", [], [2]), init("wide", [1, 1, 1, 1], [2])],
    nodes: [
      node("permute", ["x"], "t", { dims: [1, 0] }),
      // GELU's x/√2 runs with the erf after it: moving it would split their kernel.
      node("div", ["t", "s"], "d"),
      node("erf", ["d"], "y"),
      node("permute", ["x"], "u", { dims: [1, 0] }),
      node("mul", ["u", "wide"], "z"),
    ],
  });
  assert.deepEqual(summary(scalarsBeforeViews(g)), summary(g));
});
