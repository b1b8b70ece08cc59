import assert from "node:assert/strict";
import { test } from "node:test";
import { setOpObserver } from "../core/op-observer.ts";
import { graph, info, init, node } from "../graph/testing.ts";
import type { Graph } from "../graph/ir.ts";
import { createSession } from "./session.ts";
import { SharedWeights } from "./shared-weights.ts";
import { WEIGHT_ONLY_LIMIT } from "./weight-only.ts";

/** y = x · ((transpose(q) - 3) * 0.5): a uint8 weight dequantized in the graph, as a quantized model stores it. */
function dequantizingGraph(q: ArrayLike<number>, rows: number, cols: number): Graph {
  return graph({
    inputs: [info("x", [1, rows])],
    outputs: [info("y", [1, cols])],
    initializers: [init("q", [cols, rows], q, "uint8"), init("zero", [], [3]), init("scale", [], [0.5])],
    nodes: [
      node("permute", ["q"], "qt", { dims: [1, 0] }),
      node("cast", ["qt"], "f", { to: "float32" }),
      node("sub", ["f", "zero"], "centred"),
      node("mul", ["centred", "scale"], "w"),
      node("matmul", ["x", "w"], "y"),
    ],
  });
}

/** The ops the dispatcher runs while `body` runs. */
async function opsDuring(body: () => Promise<unknown>): Promise<string[]> {
  const ops: string[] = [];
  const previous = setOpObserver((op) => ops.push(op));
  try {
    await body();
  } finally {
    setOpObserver(previous);
  }
  return ops;
}

test("a weight dequantized in the graph is computed once at load; runs only multiply", async () => {
  const session = await createSession(dequantizingGraph([1, 2, 3, 4, 5, 6], 3, 2), { device: "cpu" });
  try {
    for (let run = 0; run < 3; run++) {
      let out: Awaited<ReturnType<typeof session.run>> = {};
      const ops = await opsDuring(async () => (out = await session.run({ x: { data: Float32Array.of(1, 10, 100), shape: [1, 3] } })));
      assert.deepEqual(ops, ["matmul"]);
      // w = [[-1, 0.5], [-0.5, 1], [0, 1.5]]
      assert.deepEqual(Array.from(out.y!.data), [-6, 160.5]);
    }
  } finally {
    session.dispose();
  }
});

test("sessions sharing weights share what was computed from them: the second computes nothing at load", async () => {
  const weights = new SharedWeights();
  const g = dequantizingGraph([1, 2, 3, 4, 5, 6], 3, 2);
  const first = await createSession(g, { device: "cpu", weights });
  let second: Awaited<ReturnType<typeof createSession>> | undefined;
  try {
    assert.deepEqual(await opsDuring(async () => (second = await createSession(g, { device: "cpu", weights }))), []);
    first.dispose();
    // The first session's views are gone; the second's are shared on.
    let third: Awaited<ReturnType<typeof createSession>> | undefined;
    assert.deepEqual(await opsDuring(async () => (third = await createSession(g, { device: "cpu", weights }))), []);
    second!.dispose();
    const out = await third!.run({ x: { data: Float32Array.of(2, 0, 0), shape: [1, 3] } });
    assert.deepEqual(Array.from(out.y!.data), [-2, 1]);
    third!.dispose();
  } finally {
    first.dispose();
    second?.dispose();
  }
});

test("a weight-only node past the limit runs every time, as written", async () => {
  const rows = 4096;
  const cols = WEIGHT_ONLY_LIMIT / 4 / rows + 1;
  const session = await createSession(dequantizingGraph(new Uint8Array(rows * cols).fill(5), rows, cols), { device: "cpu" });
  try {
    let out: Awaited<ReturnType<typeof session.run>> = {};
    const ops = await opsDuring(async () => (out = await session.run({ x: { data: new Float32Array(rows).fill(1), shape: [1, rows] } })));
    assert.ok(ops.includes("matmul") && ops.length > 1, ops.join(" "));
    assert.equal(out.y!.data[cols - 1], rows);
  } finally {
    session.dispose();
  }
});
