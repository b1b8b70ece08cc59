import assert from "node:assert/strict";
import { test } from "node:test";
import { add, div, gelu, mul, randn, sqrt, sub, type Tensor } from "../../index.ts";
import { execute } from "../../runtime/session.ts";
import { trace } from "../../trace/trace.ts";
import { graph, info, node, values } from "../testing.ts";
import { validateGraph } from "../validate.ts";
import { expandFused } from "./expand-fused.ts";
import { fuseElementwise } from "./fuse-elementwise.ts";
import { fuseEpilogues } from "./fuse-epilogues.ts";

const sortedOps = (nodes: readonly { op: string }[]) => nodes.map((n) => n.op).sort();

test("expanding a fused graph gives back the traced ops and their values", async () => {
  const f = (x: Tensor, b: Tensor): Tensor => mul(gelu(add(x, b)), x);
  const [x, b] = [randn([2, 5]), randn([5])];
  const g = await trace(f, [x, b]);
  const fused = fuseElementwise(g);
  assert.equal(fused.nodes.length, 1);
  const expanded = expandFused(fused);
  validateGraph(expanded);
  assert.deepEqual(sortedOps(expanded.nodes), sortedOps(g.nodes));
  const feeds = { input0: { data: values(10, 1), shape: [2, 5] }, input1: { data: values(5, 2), shape: [5] } };
  const [before, after] = [await execute(g, feeds), await execute(expanded, feeds)];
  assert.deepEqual(Array.from(after.output!.data), Array.from(before.output!.data));
  x.dispose();
  b.dispose();
});

test("a multi-output fused node expands with every output under its name", async () => {
  const adam = (p: Tensor, g: Tensor, m: Tensor, v: Tensor): Tensor[] => {
    const m2 = add(mul(m, 0.9), mul(g, 0.1));
    const v2 = add(mul(v, 0.999), mul(mul(g, g), 0.001));
    return [sub(p, mul(div(m2, add(sqrt(v2), 1e-8)), 0.01)), m2, v2];
  };
  const example = [randn([4]), randn([4]), randn([4]), randn([4]).abs()];
  const g = await trace(adam, example);
  const expanded = expandFused(fuseElementwise(g));
  assert.equal(expanded.nodes.length, g.nodes.length);
  const feeds = Object.fromEntries(["input0", "input1", "input2", "input3"].map((n, k) => [n, { data: Array.from(values(4, 10 + k), Math.abs), shape: [4] }]));
  const [before, after] = [await execute(g, feeds), await execute(expanded, feeds)];
  for (const name of ["output0", "output1", "output2"]) assert.deepEqual(Array.from(after[name]!.data), Array.from(before[name]!.data), name);
  for (const t of example) t.dispose();
});

test("a program whose output copies an input cannot become plain nodes and is refused by name", () => {
  const g = graph({
    inputs: [info("x", [2])],
    outputs: [info("y", [2]), info("z", [2])],
    nodes: [node("fused", ["x"], ["y", "z"], { program: JSON.stringify([{ op: "neg", args: [0] }]), outputs: [1, 0] })],
  });
  assert.throws(() => expandFused(g), { name: "ShapeError", message: /^expandFused: node 0 \(fused\): output 1 \(value 0\) is not a step result/ });
});

test("a graph without fused nodes comes back unchanged", () => {
  const g = graph({ inputs: [info("x", [2])], outputs: [info("y", [2])], nodes: [node("neg", ["x"], "y")] });
  assert.equal(expandFused(g), g);
});

test("a GEMM epilogue expands to its GEMM and the program's ops, with the same values", async () => {
  const g = graph({
    inputs: [info("a", [4, 3]), info("b", [3, 5]), info("bias", [5])],
    outputs: [info("pre", [4, 5]), info("y", [4, 5])],
    nodes: [node("matmul", ["a", "b"], "p"), node("add", ["p", "bias"], "pre"), node("relu", ["pre"], "y")],
  });
  const epilogue = fuseEpilogues(fuseElementwise(g), { supports: () => true });
  assert.deepEqual(
    epilogue.nodes.map((n) => n.op),
    ["matmulEpilogue"],
  );
  const expanded = expandFused(epilogue);
  validateGraph(expanded);
  assert.deepEqual(sortedOps(expanded.nodes), sortedOps(g.nodes));
  const feeds = { a: { data: values(12, 3), shape: [4, 3] }, b: { data: values(15, 4), shape: [3, 5] }, bias: { data: values(5, 5), shape: [5] } };
  const [before, after] = [await execute(g, feeds, { fuse: false }), await execute(expanded, feeds, { fuse: false })];
  for (const name of ["pre", "y"]) assert.deepEqual(Array.from(after[name]!.data), Array.from(before[name]!.data), name);
});
