import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, PolychipError, ShapeError } from "@polychip/hal";
import { graph, info, init, node } from "../graph/testing.ts";
import { createSession, readHost } from "./session.ts";

const range = (n: number, from = 0) => Float32Array.from({ length: n }, (_, i) => from + i);

/** y = relu(x · w) + b, over a symbolic batch. */
const dense = graph({
  inputs: [info("x", ["batch", 3])],
  outputs: [info("y", ["batch", 2])],
  initializers: [init("w", [3, 2], [1, -1, 2, 0.5, -3, 1]), init("b", [2], [0.25, -0.5])],
  nodes: [node("matmul", ["x", "w"], "xw"), node("relu", ["xw"], "act"), node("add", ["act", "b"], "y")],
});

/** Three runs with one signature: the third goes through the repeated-run path. */
async function plannedSession() {
  const session = await createSession(dense, { device: "cpu" });
  for (let k = 0; k < 3; k++) await session.run({ x: { data: range(6, k), shape: [2, 3] } });
  return session;
}

test("a run repeating the last planned run's shapes computes the same values as a run node by node", async () => {
  const session = await plannedSession();
  const byNode = await createSession(dense, { device: "cpu", runPlans: false });
  try {
    for (const from of [-4, 7, 0.5]) {
      const feeds = { x: { data: range(6, from), shape: [2, 3] } };
      const got = await session.run(feeds);
      const want = await byNode.run(feeds);
      assert.deepEqual(got.y!.shape, [2, 2]);
      assert.deepEqual(Array.from(got.y!.data), Array.from(want.y!.data), `x from ${from}`);
    }
    assert.equal(session.planCount, 1);
  } finally {
    session.dispose();
    byNode.dispose();
  }
});

test("after planned runs, values that do not fill the repeated shape are still refused", async () => {
  const session = await plannedSession();
  try {
    await assert.rejects(
      session.run({ x: { data: range(5), shape: [2, 3] } }),
      (err: unknown) => err instanceof ShapeError && /5 values do not fill/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("after planned runs, an unknown input name beside the right ones is still refused", async () => {
  const session = await plannedSession();
  try {
    await assert.rejects(
      session.run({ x: { data: range(6), shape: [2, 3] }, extra: { data: [1], shape: [1] } }),
      (err: unknown) => err instanceof PolychipError && /unknown input 'extra'/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("after planned runs, another dtype is refused and another shape runs on its own plan", async () => {
  const session = await plannedSession();
  try {
    await assert.rejects(session.run({ x: { data: Int32Array.from(range(6)), shape: [2, 3], dtype: "int32" } }), DTypeError);
    const rows = await session.run({ x: { data: range(3, 1), shape: [1, 3] } });
    // [1, 2, 3] · w = [1 + 4 - 9, -1 + 1 + 3] = [-4, 3]; relu then + b.
    assert.deepEqual(Array.from(rows.y!.data), [0.25, 2.5]);
    const again = await session.run({ x: { data: range(6, 0), shape: [2, 3] } });
    assert.deepEqual(again.y!.shape, [2, 2]);
  } finally {
    session.dispose();
  }
});

test("runViews after planned host runs gives views the caller owns, with the same values", async () => {
  const session = await plannedSession();
  try {
    const feeds = { x: { data: range(6, 2), shape: [2, 3] } };
    const host = await session.run(feeds);
    const views = await session.runViews(feeds);
    const again = await session.runViews(feeds);
    assert.notEqual(views.y!.storage, again.y!.storage, "each runViews output is fresh");
    assert.deepEqual(Array.from((await readHost(views.y!)).data), Array.from(host.y!.data));
    for (const v of [views.y!, again.y!]) v.storage.release();
  } finally {
    session.dispose();
  }
});
