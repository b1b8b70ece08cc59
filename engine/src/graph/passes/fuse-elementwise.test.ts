import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFusedProgram } from "@polychip/hal";
import { add, div, gelu, mean, mul, nn, randn, manualSeed, rsqrt, sqrt, sub, type Tensor } from "../../index.ts";
import { optimize } from "../../graph.ts";
import { parseModel, serializeModel } from "../../io/model-file.ts";
import { execute } from "../../runtime/session.ts";
import { trace } from "../../trace/trace.ts";
import { validateGraph } from "../validate.ts";
import type { Graph } from "../ir.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { commonSubexpressionElimination } from "./cse.ts";
import { deadCodeElimination } from "./dead-code.ts";
import { fuseElementwise } from "./fuse-elementwise.ts";

type Feeds = Record<string, { data: ArrayLike<number>; shape: number[] }>;

/** Runs both graphs on cpu and requires every output to be equal bit for bit. */
async function assertSameOutputs(before: Graph, after: Graph, feeds: Feeds): Promise<void> {
  const [a, b] = [await execute(before, feeds, { device: "cpu" }), await execute(after, feeds, { device: "cpu" })];
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const name of Object.keys(a)) {
    assert.deepEqual(b[name]!.shape, a[name]!.shape, name);
    assert.deepEqual(Array.from(b[name]!.data), Array.from(a[name]!.data), name);
  }
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);
const fusedOps = (g: Graph) => g.nodes.filter((n) => n.op === "fused").map((n) => parseFusedProgram(n.attrs).steps.map((s) => s.op));

test("a chain with a scalar initializer becomes one fused node; the graph output keeps its name", async () => {
  const g = graph({
    inputs: [info("x", [4, 3]), info("b", [3])],
    outputs: [info("y", [4, 3])],
    initializers: [init("half", [], [0.5])],
    nodes: [node("add", ["x", "b"], "a"), node("mul", ["a", "half"], "m"), node("tanh", ["m"], "t"), node("add", ["t", "x"], "y")],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["fused"]);
  assert.deepEqual(out.nodes[0]!.inputs, ["x", "b"]);
  assert.deepEqual(out.nodes[0]!.outputs, ["y"]);
  assert.deepEqual(fusedOps(out), [["const", "add", "mul", "tanh", "add"]]);
  assert.deepEqual(out.initializers, [], "the inlined scalar is no longer an initializer");
  validateGraph(out);
  await assertSameOutputs(g, out, { x: { data: values(12, 1), shape: [4, 3] }, b: { data: values(3, 2), shape: [3] } });
});

test("a value also read outside the group becomes a second output of the fused node", async () => {
  const g = graph({
    inputs: [info("x", [2, 5])],
    outputs: [info("y", [2, 5]), info("s", [2, 1])],
    nodes: [node("exp", ["x"], "e"), node("neg", ["e"], "n"), node("reduceSum", ["e"], "s", { axes: [1], keepDims: true }), node("sigmoid", ["n"], "y")],
  });
  const out = fuseElementwise(g);
  const fused = out.nodes.find((n) => n.op === "fused")!;
  assert.deepEqual(fused.outputs, ["e", "y"]);
  assert.deepEqual(ops(out).sort(), ["fused", "reduceSum"]);
  await assertSameOutputs(g, out, { x: { data: values(10, 3), shape: [2, 5] } });
});

test("nodes are not merged across a path that leaves the group and comes back (no cycle)", async () => {
  // e -> softmax -> b, and e -> b directly: e and b in one node would need softmax both before and after it.
  const g = graph({
    inputs: [info("x", [3, 4])],
    outputs: [info("y", [3, 4])],
    nodes: [node("exp", ["x"], "e"), node("softmax", ["e"], "s", { axis: 1 }), node("add", ["e", "s"], "b"), node("mul", ["b", "x"], "y")],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["exp", "softmax", "fused"]);
  assert.deepEqual(fusedOps(out), [["add", "mul"]]);
  validateGraph(out);
  await assertSameOutputs(g, out, { x: { data: values(12, 4), shape: [3, 4] } });
});

test("only nodes with the group's output shape join it; single nodes stay as they are", async () => {
  const g = graph({
    inputs: [info("x", [4, 1]), info("y", [1, 3])],
    outputs: [info("z", [4, 3])],
    nodes: [node("neg", ["x"], "nx"), node("sqrt", ["y"], "ry"), node("add", ["nx", "y"], "a"), node("mul", ["a", "ry"], "z")],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["neg", "sqrt", "fused"]);
  assert.deepEqual(fusedOps(out), [["add", "mul"]]);
  await assertSameOutputs(g, out, { x: { data: values(4, 5), shape: [4, 1] }, y: { data: Array.from(values(3, 6), Math.abs), shape: [1, 3] } });
});

test("a symbolic batch dim fuses, and the fused graph runs any batch size", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 3]), info("w", [3])],
    outputs: [info("y", ["batch", 3])],
    nodes: [node("mul", ["x", "w"], "m"), node("relu", ["m"], "r"), node("greater", ["r", "w"], "c"), node("where", ["c", "r", "x"], "y")],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["fused"]);
  for (const batch of [1, 5]) {
    await assertSameOutputs(g, out, { x: { data: values(3 * batch, 7), shape: [batch, 3] }, w: { data: values(3, 8), shape: [3] } });
  }
});

test("values that compute a reshape target stay plain nodes, so shapes are still known", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 6])],
    outputs: [info("y", ["batch", 2, 3])],
    initializers: [init("dims", [3], [0, 2, 3], "int32"), init("one", [3], [1, 1, 1], "int32"), init("zero", [3], [0, 0, 0], "int32")],
    nodes: [
      node("mul", ["dims", "one"], "t"),
      node("add", ["t", "zero"], "target"),
      node("reshape", ["x", "target"], "r"),
      node("neg", ["r"], "n"),
      node("exp", ["n"], "y"),
    ],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["mul", "add", "reshape", "fused"]);
  await assertSameOutputs(g, out, { x: { data: values(12, 9), shape: [2, 6] } });
});

test("maxOperands caps inputs plus outputs of each fused node", () => {
  const g = graph({
    inputs: ["a", "b", "c", "d"].map((n) => info(n, [2])),
    outputs: [info("y", [2])],
    nodes: [node("add", ["a", "b"], "s1"), node("add", ["s1", "c"], "s2"), node("add", ["s2", "d"], "y")],
  });
  assert.deepEqual(ops(fuseElementwise(g)), ["fused"]);
  const capped = fuseElementwise(g, { maxOperands: 4 });
  assert.deepEqual(ops(capped), ["fused", "add"]);
  assert.ok(capped.nodes.every((n) => n.inputs.length + n.outputs.length <= 4));
});

class GeluNormMlp extends nn.Module {
  readonly l1 = new nn.Linear(6, 8);
  readonly l2 = new nn.Linear(8, 4);
  readonly gamma = randn([8]);
  readonly beta = randn([8]);
  forward(x: Tensor): Tensor {
    const h = gelu(this.l1.forward(x));
    const centered = sub(h, mean(h, -1, true));
    const variance = mean(mul(centered, centered), -1, true);
    return this.l2.forward(add(mul(mul(centered, rsqrt(add(variance, 1e-5))), this.gamma), this.beta));
  }
}

test("a traced MLP with GELU and a hand-written layer norm: same values on cpu, 26 nodes become 11", async () => {
  manualSeed(11);
  const model = new GeluNormMlp();
  const g = await trace(model, [randn([3, 6])], { dynamicBatch: true });
  const out = fuseElementwise(g);
  // bias add + GELU (3 scalars inlined), sub + square, div + add + rsqrt (2 scalars), the affine mul + mul + add.
  assert.deepEqual(fusedOps(out), [
    ["const", "const", "const", "add", "mul", "mul", "erf", "add", "mul"],
    ["sub", "mul"],
    ["const", "const", "div", "add", "rsqrt"],
    ["mul", "mul", "add"],
  ]);
  assert.equal(g.nodes.length, 26);
  assert.equal(out.nodes.length, 11, "matmul, fused, reduceSum, fill, div, fused, reduceSum, fused, fused, matmul, add");
  for (const batch of [2, 7]) await assertSameOutputs(g, out, { input: { data: values(6 * batch, batch), shape: [batch, 6] } });
  model.dispose();
});

test("a traced Adam-like update becomes one fused node with three outputs", async () => {
  const adam = (p: Tensor, g: Tensor, m: Tensor, v: Tensor): Tensor[] => {
    const m2 = add(mul(m, 0.9), mul(g, 0.1));
    const v2 = add(mul(v, 0.999), mul(mul(g, g), 0.001));
    const p2 = sub(p, mul(div(m2, add(sqrt(v2), 1e-8)), 0.01));
    return [p2, m2, v2];
  };
  const example = [randn([5, 4]), randn([5, 4]), randn([5, 4]), randn([5, 4]).abs()];
  const g = await trace(adam, example);
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["fused"]);
  assert.deepEqual(out.nodes[0]!.outputs, ["output1", "output2", "output0"], "in the order the update computes them");
  const feeds: Feeds = {};
  ["input0", "input1", "input2", "input3"].forEach((name, k) => {
    feeds[name] = { data: k === 3 ? Array.from(values(20, 20 + k), Math.abs) : values(20, 20 + k), shape: [5, 4] };
  });
  await assertSameOutputs(g, out, feeds);
  for (const t of example) t.dispose();
});

test("exclude leaves chosen nodes alone (a conv epilogue a device claims itself)", () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [2, 3])],
    nodes: [node("exp", ["x"], "e"), node("add", ["e", "x"], "a"), node("relu", ["a"], "r"), node("neg", ["r"], "y")],
  });
  const out = fuseElementwise(g, { exclude: (n) => n.op === "relu" });
  assert.deepEqual(ops(out), ["fused", "relu", "neg"]);
  assert.deepEqual(fusedOps(out), [["exp", "add"]]);
});

test("CSE merges identical fused nodes and DCE drops one no output needs", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [2, 3]), info("z", [2, 3])],
    initializers: [init("w", [3], [1, 2, 3])],
    nodes: [
      node("exp", ["x"], "a1"),
      node("mul", ["a1", "w"], "b1"),
      node("exp", ["x"], "a2"),
      node("mul", ["a2", "w"], "b2"),
      node("softmax", ["b1"], "s1", { axis: 1 }),
      node("softmax", ["b2"], "s2", { axis: 1 }),
      node("add", ["s1", "s2"], "y"),
      node("neg", ["x"], "n"),
      node("abs", ["n"], "z"),
    ],
  });
  const fused = fuseElementwise(g);
  assert.equal(fused.nodes.filter((n) => n.op === "fused").length, 3);
  const merged = commonSubexpressionElimination(fused);
  assert.deepEqual(ops(merged), ["fused", "softmax", "add", "fused"]);
  await assertSameOutputs(g, merged, { x: { data: values(6, 30), shape: [2, 3] } });
  const pruned = deadCodeElimination({ ...merged, outputs: [merged.outputs[1]!] });
  assert.deepEqual(ops(pruned), ["fused"]);
  assert.deepEqual(pruned.nodes[0]!.outputs, ["z"]);
});

test("a graph without two neighbouring elementwise nodes comes back unchanged", () => {
  const g = graph({
    inputs: [info("x", [2, 2])],
    outputs: [info("y", [2, 2])],
    nodes: [node("exp", ["x"], "e"), node("softmax", ["e"], "y", { axis: 1 })],
  });
  assert.equal(fuseElementwise(g), g);
});

test("optimize runs the pass by name, and a fused graph survives a model file round trip", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 4])],
    outputs: [info("y", ["batch", 4])],
    initializers: [init("scale", [], [2])],
    nodes: [node("mul", ["x", "scale"], "m"), node("sigmoid", ["m"], "s"), node("mul", ["s", "x"], "y")],
  });
  const out = await optimize(g, ["cse", "fuse-elementwise", "dce"]);
  assert.deepEqual(ops(out), ["fused"]);
  const loaded = parseModel(serializeModel(out));
  assert.deepEqual(loaded.nodes, out.nodes);
  await assertSameOutputs(g, loaded, { x: { data: values(8, 40), shape: [2, 4] } });
});

test("a fused node reads permuted and broadcast views as they are (its family is elementwise)", async () => {
  const g = graph({
    inputs: [info("x", [3, 4]), info("b", [1, 3])],
    outputs: [info("y", [4, 3])],
    nodes: [node("permute", ["x"], "t", { dims: [1, 0] }), node("add", ["t", "b"], "a"), node("exp", ["a"], "e"), node("mul", ["e", "t"], "y")],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out), ["permute", "fused"]);
  await assertSameOutputs(g, out, { x: { data: values(12, 50), shape: [3, 4] }, b: { data: values(3, 51), shape: [1, 3] } });
});

test("a run-time scalar read by one larger fused node joins its program; one read twice stays a node", async () => {
  // A dequantised GEMM's rescale: (activation scale · weight scale) · cast(int32 product).
  const g = graph({
    inputs: [info("acc", [3, 4], "int32"), info("s", []), info("t", [])],
    outputs: [info("y", [3, 4]), info("z", [3, 4])],
    initializers: [init("w", [], [0.125])],
    nodes: [
      node("mul", ["s", "w"], "sw"),
      node("cast", ["acc"], "f", { to: "float32" }),
      node("mul", ["f", "sw"], "y"),
      node("neg", ["t"], "nt"),
      node("mul", ["f", "nt"], "a"),
      node("add", ["a", "nt"], "z"),
    ],
  });
  const out = fuseElementwise(g);
  assert.deepEqual(ops(out).sort(), ["fused", "neg"], "sw joins the [3, 4] program; nt, read twice, stays a node");
  assert.deepEqual(fusedOps(out), [["const", "mul", "cast", "mul", "mul", "add"]]);
  validateGraph(out);
  await assertSameOutputs(g, out, {
    acc: { data: [5, -7, 100, 3, 0, 1, -1, 9, 12, 13, -200, 7], shape: [3, 4] },
    s: { data: [0.0371], shape: [] },
    t: { data: [1.75], shape: [] },
  });
});
