import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { PolychipError } from "@polychip/hal";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer, type GraphSpec, type ModelSpec } from "./testing/model-builder.ts";

/**
 * OnnxSession.run goes straight to the last run's plan when the input shapes repeat and that plan
 * depends on the shapes alone. Values that select a plan (an If's condition) must still be
 * looked at on every run, and a dropped or disposed plan must never be run.
 */

const f32 = (name: string, shape: (number | string)[]) => ({ name, type: "float32" as const, shape });

/** y = x · w over a symbolic batch. */
const dense = buildModel({
  opset: 13,
  inputs: [f32("x", ["n", 2])],
  outputs: [f32("y", ["n", 2])],
  nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
  initializers: [initializer("w", [1, 2, -3, 0.5], [2, 2])],
});

const rows = (n: number, from: number) => ({ x: { data: Float32Array.from({ length: 2 * n }, (_, i) => from + i), shape: [n, 2] } });
/** [a, b] · w = [a - 3b, 2a + b / 2], row by row. */
const expected = (n: number, from: number) =>
  Array.from({ length: n }, (_, r) => [from + 2 * r, from + 2 * r + 1]).flatMap(([a, b]) => [a! - 3 * b!, 2 * a! + b! / 2]);

test("runs repeating the last shapes compute each run's own values", async () => {
  const session = await OnnxSession.create(dense, { device: "cpu" });
  try {
    for (const from of [0, 1, -2, 5, 0.5]) assert.deepEqual(Array.from((await session.run(rows(2, from))).y!.data), expected(2, from), `x from ${from}`);
    assert.equal(session.planCount, 1);
  } finally {
    session.dispose();
  }
});

test("the last run's plan dropped by planFor (maxPlans 1) is imported again, not run after its disposal", async () => {
  const session = await OnnxSession.create(dense, { device: "cpu", maxPlans: 1 });
  try {
    for (let k = 0; k < 3; k++) await session.run(rows(2, k));
    await session.planFor(rows(3, 0));
    assert.deepEqual(Array.from((await session.run(rows(2, 7))).y!.data), expected(2, 7));
    assert.equal(session.planCount, 1);
  } finally {
    session.dispose();
  }
});

test("shapes cycling through more plans than maxPlans warn once, naming the option, and still compute each run", async (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const session = await OnnxSession.create(dense, { device: "cpu", maxPlans: 1 });
  try {
    for (const n of [1, 2, 1, 2]) assert.deepEqual(Array.from((await session.run(rows(n, n))).y!.data), expected(n, n), `${n} rows`);
    assert.deepEqual(session.planStats.shapes, { imports: 4, hits: 0, evictions: 3, replans: 2 });
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0]!.arguments[0]), /Raise maxPlans/);
  } finally {
    session.dispose();
  }
});

test("a disposed session refuses a run with the last run's shapes", async () => {
  const session = await OnnxSession.create(dense, { device: "cpu" });
  for (let k = 0; k < 3; k++) await session.run(rows(1, k));
  session.dispose();
  await assert.rejects(session.run(rows(1, 0)), (err: unknown) => err instanceof PolychipError && /disposed/.test(err.message));
});

const branch = (output: string, op: string): { graph: GraphSpec } => ({
  graph: { inputs: [], outputs: [f32(output, [2])], nodes: [{ op, inputs: ["x"], outputs: [output] }] },
});

/** y = If(flag, Neg(x), Abs(x)): the flag's value picks the plan. */
const choice: ModelSpec = {
  opset: 13,
  inputs: [f32("x", [2]), { name: "flag", type: "bool", shape: [] }],
  outputs: [f32("y", [2])],
  nodes: [{ op: "If", inputs: ["flag"], outputs: ["y"], attrs: { then_branch: branch("neg", "Neg"), else_branch: branch("abs", "Abs") } }],
};

test("same shapes with another If condition take the other branch on every run", async () => {
  const session = await OnnxSession.create(buildModel(choice), { device: "cpu" });
  try {
    const x = { data: Float32Array.from([-1.5, 2]), shape: [2] };
    for (const flag of [1, 1, 1, 0, 0, 1, 0]) {
      const y = await session.run({ x, flag: { data: Uint8Array.from([flag]), shape: [], dtype: "bool" } });
      assert.deepEqual(Array.from(y.y!.data), flag ? [1.5, -2] : [1.5, 2], `flag ${flag}`);
    }
  } finally {
    session.dispose();
  }
});
