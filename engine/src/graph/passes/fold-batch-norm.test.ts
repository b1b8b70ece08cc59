import assert from "node:assert/strict";
import { test } from "node:test";
import { createSession, execute } from "../../runtime/session.ts";
import { graph, info, init, node, values } from "../testing.ts";
import { foldBatchNorm } from "./fold-batch-norm.ts";

function convBn(withBias: boolean, extraReader = false) {
  const c = 3;
  return graph({
    inputs: [info("x", ["batch", 2, 5, 5])],
    outputs: extraReader ? [info("y", ["batch", c, 5, 5]), info("c", ["batch", c, 5, 5])] : [info("y", ["batch", c, 5, 5])],
    initializers: [
      init("w", [c, 2, 3, 3], values(c * 18, 1)),
      ...(withBias ? [init("b", [c], values(c, 2))] : []),
      init("scale", [c], [1.5, 0.5, -2]),
      init("shift", [c], [0.1, -0.2, 0.3]),
      init("mean", [c], values(c, 3)),
      init("var", [c], [0.5, 2, 0.01]),
    ],
    nodes: [
      node("conv2d", withBias ? ["x", "w", "b"] : ["x", "w"], "c", { pads: [1, 1, 1, 1] }),
      node("batchNorm", ["c", "scale", "shift", "mean", "var"], "y", { epsilon: 1e-3 }),
    ],
  });
}

async function maxDiff(a: ReturnType<typeof convBn>, b: ReturnType<typeof convBn>): Promise<number> {
  const x = { x: { data: values(2 * 50, 9), shape: [2, 2, 5, 5] } };
  // fuse: false, or the sessions would fold both graphs on load and compare the fold with itself.
  const [ya, yb] = [(await execute(a, x, { fuse: false })).y!.data, (await execute(b, x, { fuse: false })).y!.data];
  let max = 0;
  for (let i = 0; i < ya.length; i++) max = Math.max(max, Math.abs(ya[i]! - yb[i]!));
  return max;
}

test("conv2d → batchNorm folds into one conv2d with the same outputs (within 1e-5)", async () => {
  for (const withBias of [true, false]) {
    const g = convBn(withBias);
    const folded = foldBatchNorm(g);
    assert.deepEqual(
      folded.nodes.map((n) => n.op),
      ["conv2d"],
    );
    assert.deepEqual(folded.nodes[0]!.outputs, ["y"]);
    assert.deepEqual(
      folded.initializers.map((i) => i.name),
      ["w.bnfolded", withBias ? "b.bnfolded" : "w_bias.bnfolded"],
    );
    const diff = await maxDiff(g, folded);
    assert.ok(diff <= 1e-5, `max difference ${diff}`);
  }
});

test("nothing folds when the conv output has another reader or the parameters are not constant", () => {
  assert.equal(foldBatchNorm(convBn(true, true)).nodes.length, 2);
  const g = convBn(true);
  const live = { ...g, inputs: [...g.inputs, info("scale", [3])], initializers: g.initializers.filter((i) => i.name !== "scale") };
  assert.equal(foldBatchNorm(live).nodes.length, 2);
});

test("a session folds conv2d → batchNorm on load (an imported ONNX model keeps them apart), with the same outputs", async () => {
  const g = convBn(true);
  const session = await createSession(g);
  try {
    assert.ok(!session.graph.nodes.some((n) => n.op === "batchNorm"), session.graph.nodes.map((n) => n.op).join(", "));
    const x = { x: { data: values(2 * 50, 9), shape: [2, 2, 5, 5] } };
    const folded = (await session.run(x)).y!.data;
    const plain = (await execute(g, x, { fuse: false })).y!.data;
    for (let i = 0; i < plain.length; i++) assert.ok(Math.abs(folded[i]! - plain[i]!) <= 1e-5, `element ${i}: ${folded[i]} vs ${plain[i]}`);
  } finally {
    session.dispose();
  }
});
