import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEpilogue } from "@polychip/hal";
import { createSession, execute } from "../../runtime/session.ts";
import type { Graph } from "../ir.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { fuseElementwise } from "./fuse-elementwise.ts";
import { fuseEpilogues } from "./fuse-epilogues.ts";

const everywhere = { supports: () => true };
const ops = (g: Graph) => g.nodes.map((n) => n.op);

/** Both graphs run unfused by the session (fuse: false) on cpu give the same outputs bit for bit. */
async function assertSameOutputs(before: Graph, after: Graph, feeds: Record<string, { data: ArrayLike<number>; shape: number[] }>) {
  const [a, b] = [await execute(before, feeds, { device: "cpu", fuse: false }), await execute(after, feeds, { device: "cpu", fuse: false })];
  for (const name of Object.keys(a)) assert.deepEqual(Array.from(b[name]!.data), Array.from(a[name]!.data), name);
}

const convGraph = (extraReader = false) =>
  graph({
    inputs: [info("x", [2, 3, 5, 5])],
    outputs: [info("y", [2, 4, 5, 5]), ...(extraReader ? [info("s", [2, 4, 5, 5])] : [])],
    initializers: [init("w", [4, 3, 3, 3], values(108, 2)), init("b", [4], values(4, 3))],
    nodes: [node("conv2d", ["x", "w", "b"], "c", { pads: [1, 1, 1, 1] }), node("relu", ["c"], "y"), ...(extraReader ? [node("sigmoid", ["c"], "s")] : [])],
  });

test("conv2d with its bias, then relu, becomes one conv2dEpilogue node with the same values", async () => {
  const g = convGraph();
  const out = fuseEpilogues(fuseElementwise(g), everywhere);
  assert.deepEqual(ops(out), ["conv2dEpilogue"]);
  const [epi] = out.nodes;
  assert.deepEqual([epi!.inputs, epi!.outputs], [["x", "w", "b"], ["y"]]);
  const e = parseEpilogue("conv2dEpilogue", epi!.attrs, 3);
  assert.deepEqual([e.base, e.baseInputs, e.baseAttrs.pads, e.program.steps, e.program.outputs], ["conv2d", 3, [1, 1, 1, 1], [{ op: "relu", args: [0] }], [1]]);
  await assertSameOutputs(g, out, { x: { data: values(150, 1), shape: [2, 3, 5, 5] } });
});

test("a GEMM result read by two elementwise nodes of its shape heads one epilogue writing both", async () => {
  const g = convGraph(true);
  const out = fuseEpilogues(g, everywhere);
  assert.deepEqual(ops(out), ["conv2dEpilogue"]);
  assert.deepEqual([...out.nodes[0]!.outputs].sort(), ["s", "y"]);
  await assertSameOutputs(g, out, { x: { data: values(150, 1), shape: [2, 3, 5, 5] } });
});

test("a hard-swish after a conv, which reads the product twice, becomes the conv's epilogue with the same values", async () => {
  const g = graph({
    inputs: [info("x", [1, 3, 6, 6])],
    outputs: [info("y", [1, 4, 6, 6])],
    initializers: [init("w", [4, 3, 1, 1], values(12, 2)), init("b", [4], values(4, 3)), init("three", [], [3]), init("zero", [], [0]), init("six", [], [6])],
    nodes: [
      node("conv2d", ["x", "w", "b"], "c"),
      node("add", ["c", "three"], "c3"),
      node("maximum", ["c3", "zero"], "lo"),
      node("minimum", ["lo", "six"], "relu6"),
      node("mul", ["c", "relu6"], "m"),
      node("div", ["m", "six"], "y"),
    ],
  });
  const out = fuseEpilogues(g, everywhere);
  assert.deepEqual(ops(out), ["conv2dEpilogue"]);
  await assertSameOutputs(g, out, { x: { data: values(108, 4).map((v) => 4 * v), shape: [1, 3, 6, 6] } });
});

test("a GEMM result that a non-elementwise node also reads is not fused", () => {
  const g = graph({
    inputs: [info("x", [2, 3, 5, 5])],
    outputs: [info("y", [2, 4, 5, 5]), info("pooled", [2, 4, 2, 2])],
    initializers: [init("w", [4, 3, 3, 3], values(108, 2)), init("b", [4], values(4, 3))],
    nodes: [
      node("conv2d", ["x", "w", "b"], "c", { pads: [1, 1, 1, 1] }),
      node("relu", ["c"], "y"),
      node("maxPool2d", ["c"], "pooled", { kernel: [2, 2], stride: [2, 2] }),
    ],
  });
  assert.deepEqual(ops(fuseEpilogues(g, everywhere)), ["conv2d", "relu", "maxPool2d"]);
});

test("when one of a GEMM result's readers cannot join its group (a cycle), the GEMM stays a node", async () => {
  // r = c + mean(relu(c)) per channel: r reads the group's relu through a reduction outside it, so it cannot join.
  const g = graph({
    inputs: [info("x", [1, 3, 4, 4])],
    outputs: [info("r", [1, 4, 4, 4])],
    initializers: [init("w", [4, 3, 3, 3], values(108, 2)), init("b", [4], values(4, 3))],
    nodes: [
      node("conv2d", ["x", "w", "b"], "c", { pads: [1, 1, 1, 1] }),
      node("relu", ["c"], "a"),
      node("reduceSum", ["a"], "s", { axes: [2, 3], keepdims: true }),
      node("add", ["c", "s"], "r"),
    ],
  });
  const out = fuseEpilogues(g, everywhere);
  assert.ok(ops(out).includes("conv2d"), `the GEMM stays: ${ops(out)}`);
  assert.ok(!ops(out).includes("conv2dEpilogue"));
  await assertSameOutputs(g, out, { x: { data: values(48, 5), shape: [1, 3, 4, 4] } });
});

test("a matmul, a broadcast bias add and a fused GELU chain become one matmulEpilogue; extras follow the GEMM inputs", async () => {
  const g = graph({
    inputs: [info("a", [6, 5]), info("r", [6, 3])],
    outputs: [info("y", [6, 3])],
    initializers: [
      init("w", [5, 3], values(15, 4)),
      init("bias", [3], values(3, 5)),
      init("half", [], [0.5]),
      init("k", [], [Math.SQRT1_2]),
      init("one", [], [1]),
    ],
    nodes: [
      node("matmul", ["a", "w"], "p"),
      node("add", ["bias", "p"], "z"),
      node("mul", ["z", "k"], "zk"),
      node("erf", ["zk"], "e"),
      node("add", ["e", "one"], "e1"),
      node("mul", ["z", "e1"], "g"),
      node("mul", ["g", "half"], "gh"),
      node("add", ["gh", "r"], "y"),
    ],
  });
  const out = fuseEpilogues(fuseElementwise(g), everywhere);
  assert.deepEqual(ops(out), ["matmulEpilogue"]);
  assert.deepEqual(out.nodes[0]!.inputs, ["a", "w", "bias", "r"]);
  await assertSameOutputs(g, out, { a: { data: values(30, 6), shape: [6, 5] }, r: { data: values(18, 7), shape: [6, 3] } });
});

test("nothing is fused for a device without the kernels, or when the reader broadcasts the product", () => {
  const g = fuseElementwise(convGraph());
  assert.equal(fuseEpilogues(g, { supports: () => false }), g);
  const widened = graph({
    inputs: [info("a", [1, 4]), info("b", [4, 3]), info("r", [5, 1, 3])],
    outputs: [info("y", [5, 1, 3])],
    nodes: [node("matmul", ["a", "b"], "p"), node("add", ["p", "r"], "y")],
  });
  assert.deepEqual(ops(fuseEpilogues(widened, everywhere)), ["matmul", "add"]);
});

test("sessions fold epilogues on cpu, which has the kernels", async () => {
  const session = await createSession(convGraph(), { device: "cpu" });
  try {
    assert.deepEqual(ops(session.graph), ["conv2dEpilogue"]);
  } finally {
    session.dispose();
  }
});

test("past MAX_EPILOGUE_OPERANDS operands the GEMM stays a node and the chain after it one fused node", async () => {
  const residuals = ["r1", "r2", "r3", "r4", "r5", "r6", "r7"];
  const g = graph({
    inputs: [info("a", [4, 3]), info("b", [3, 5]), ...residuals.map((r) => info(r, [4, 5]))],
    outputs: [info("y", [4, 5])],
    nodes: [node("matmul", ["a", "b"], "p"), ...residuals.map((r, k) => node("add", [k === 0 ? "p" : `s${k}`, r], k === 6 ? "y" : `s${k + 1}`))],
  });
  const out = fuseEpilogues(g, everywhere);
  assert.deepEqual(ops(out), ["matmul", "fused"]);
  const feeds: Record<string, { data: ArrayLike<number>; shape: number[] }> = {
    a: { data: values(12, 1), shape: [4, 3] },
    b: { data: values(15, 2), shape: [3, 5] },
  };
  residuals.forEach((r, k) => {
    feeds[r] = { data: values(20, 3 + k), shape: [4, 5] };
  });
  await assertSameOutputs(g, out, feeds);
});
