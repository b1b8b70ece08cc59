import assert from "node:assert/strict";
import { test } from "node:test";
import { createSession, execute } from "../../runtime/session.ts";
import type { Graph } from "../ir.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { fuseLayerNorm } from "./fuse-layer-norm.ts";

const everywhere = () => true;

/** A layer norm over the last dim written as ONNX before opset 17 writes it: ReduceMean as sum / N, Pow(c, 2), weight and bias. */
function onnxStyle(options: { count?: number; centredOut?: boolean; axes?: number[] } = {}): Graph {
  const d = 8;
  return graph({
    inputs: [info("x", ["batch", 3, d])],
    outputs: [info("y", ["batch", 3, d]), ...(options.centredOut ? [info("c", ["batch", 3, d])] : [])],
    initializers: [
      init("n", [], [options.count ?? d]),
      init("two", [], [2]),
      init("eps", [], [1e-5]),
      init("w", [d], values(d, 2)),
      init("b", [d], values(d, 3)),
    ],
    nodes: [
      node("reduceSum", ["x"], "s", { axes: options.axes ?? [-1], keepDims: true }),
      node("div", ["s", "n"], "mean"),
      node("sub", ["x", "mean"], "c"),
      node("pow", ["c", "two"], "sq"),
      node("reduceSum", ["sq"], "ss", { axes: options.axes ?? [-1], keepDims: true }),
      node("div", ["ss", "n"], "var"),
      node("add", ["var", "eps"], "ve"),
      node("sqrt", ["ve"], "sd"),
      node("div", ["c", "sd"], "norm"),
      node("mul", ["w", "norm"], "scaled"),
      node("add", ["scaled", "b"], "y"),
    ],
  });
}

/** The same over the last two dims as a traced PyTorch module writes it: · 1/N, c · c, eps first, no weight or bias. */
function torchStyle(): Graph {
  return graph({
    inputs: [info("x", [2, 4, 6])],
    outputs: [info("y", [2, 4, 6])],
    initializers: [init("inv", [], [1 / 24]), init("eps", [], [1e-3])],
    nodes: [
      node("reduceSum", ["x"], "s", { axes: [1, 2], keepDims: true }),
      node("mul", ["s", "inv"], "mean"),
      node("sub", ["x", "mean"], "c"),
      node("mul", ["c", "c"], "sq"),
      node("reduceSum", ["sq"], "ss", { axes: [2, 1], keepDims: true }),
      node("mul", ["ss", "inv"], "var"),
      node("add", ["eps", "var"], "ve"),
      node("sqrt", ["ve"], "sd"),
      node("div", ["c", "sd"], "y"),
    ],
  });
}

async function assertSameOutputs(a: Graph, b: Graph, shape: number[]): Promise<void> {
  const x = {
    x: {
      data: values(
        shape.reduce((p, q) => p * q, 1),
        9,
      ).map((v) => v * 3 + 1),
      shape,
    },
  };
  // fuse: false, or both sessions would fuse on load and compare the fusion with itself.
  const [ya, yb] = [(await execute(a, x, { fuse: false })).y!.data, (await execute(b, x, { fuse: false })).y!.data];
  assert.equal(ya.length, yb.length);
  for (let i = 0; i < ya.length; i++) assert.ok(Math.abs(ya[i]! - yb[i]!) <= 1e-5, `element ${i}: ${ya[i]} vs ${yb[i]}`);
}

test("an ONNX-style layer norm (sum / N, pow 2, weight · x + bias) becomes one layerNorm with the same outputs", async () => {
  const g = onnxStyle();
  const fused = fuseLayerNorm(g, everywhere);
  assert.deepEqual(
    fused.nodes.map((n) => [n.op, n.inputs, n.outputs, n.attrs]),
    [["layerNorm", ["x", "w", "b"], ["y"], { axis: 2, epsilon: Math.fround(1e-5) }]],
  );
  await assertSameOutputs(g, fused, [2, 3, 8]);
});

test("a traced PyTorch layer norm over two trailing dims (· 1/N, c · c, no weight) becomes a layerNorm from axis 1", async () => {
  const g = torchStyle();
  const fused = fuseLayerNorm(g, everywhere);
  assert.deepEqual(
    fused.nodes.map((n) => [n.op, n.inputs, n.attrs]),
    [["layerNorm", ["x"], { axis: 1, epsilon: Math.fround(1e-3) }]],
  );
  await assertSameOutputs(g, fused, [2, 4, 6]);
});

test("nothing fuses when an intermediate is read outside the pattern, N is not the reduced count, or the axes are not trailing", () => {
  for (const g of [onnxStyle({ centredOut: true }), onnxStyle({ count: 7 }), onnxStyle({ axes: [1] })]) {
    assert.equal(fuseLayerNorm(g, everywhere), g);
  }
});

test("nothing fuses for a device without its own layerNorm kernel (the composite would decompose again)", () => {
  const g = onnxStyle();
  assert.equal(
    fuseLayerNorm(g, (op) => op !== "layerNorm"),
    g,
  );
});

test("a cpu session runs an ONNX-style layer norm as one layerNorm kernel, with the same outputs", async () => {
  const g = onnxStyle();
  const session = await createSession(g, { device: "cpu" });
  try {
    assert.deepEqual(
      session.graph.nodes.map((n) => n.op),
      ["layerNorm"],
    );
    const x = { x: { data: values(48, 5), shape: [2, 3, 8] } };
    const got = (await session.run(x)).y!.data;
    const plain = (await execute(g, x, { fuse: false })).y!.data;
    for (let i = 0; i < plain.length; i++) assert.ok(Math.abs(got[i]! - plain[i]!) <= 1e-5, `element ${i}: ${got[i]} vs ${plain[i]}`);
  } finally {
    session.dispose();
  }
});
