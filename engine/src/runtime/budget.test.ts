import assert from "node:assert/strict";
import { test } from "node:test";
import { OutOfMemoryError } from "@polychip/hal";
import { memoryStats } from "../core/storage.ts";
import { graph, info, init, node } from "../graph/testing.ts";
import { formatBytes, memoryBudget } from "./budget.ts";
import { createSession } from "./session.ts";

const ones = (n: number) => new Float32Array(n).fill(1);
const oom = (pattern: RegExp) => (e: Error) => e instanceof OutOfMemoryError && pattern.test(e.message);

/** x [n, 4] · w [4, m]: the output's size is chosen by the input's batch, not by the file. */
const widen = (m: number) =>
  graph({
    name: "widen",
    inputs: [info("x", ["n", 4])],
    outputs: [info("y", ["n", m])],
    initializers: [init("w", [4, m], Array.from(ones(4 * m)))],
    nodes: [node("matmul", ["x", "w"], "h"), node("relu", ["h"], "y")],
  });

test("an output beyond the per-tensor budget is refused before it is allocated, naming the node and the size", async () => {
  const session = await createSession(widen(10), { memoryBudget: { tensorBytes: 2000 }, fuse: false });
  const buffersBefore = memoryStats("cpu")[0]?.buffers ?? 0;
  await assert.rejects(
    session.run({ x: { data: ones(400), shape: [100, 4] } }),
    oom(
      /node 0 \(matmul → %h\): output 0 float32\[100, 10\] needs 4000 bytes, over the budget of 2000 bytes for one tensor \(raise it with the session's memoryBudget option\)/,
    ),
  );
  assert.equal(memoryStats("cpu")[0]?.buffers ?? 0, buffersBefore, "nothing leaked");
  const ok = await session.run({ x: { data: ones(40), shape: [10, 4] } });
  assert.deepEqual(ok.y!.shape, [10, 10]);
  session.dispose();
});

test("a run with a larger input after a smaller one is checked against the budget again", async () => {
  // Unfused, so the error names the plain matmul (a session would fold the relu into its epilogue).
  const session = await createSession(widen(10), { memoryBudget: { tensorBytes: 2000 }, fuse: false });
  assert.deepEqual((await session.run({ x: { data: ones(40), shape: [10, 4] } })).y!.shape, [10, 10]);
  await assert.rejects(session.run({ x: { data: ones(400), shape: [100, 4] } }), oom(/node 0 \(matmul → %h\): output 0 float32\[100, 10\] needs 4000 bytes/));
  session.dispose();
});

test("the total budget counts what the graph already holds", async () => {
  // Unfused: w (160 bytes) + x (160) + h (400) fit in 900; x is freed after its last reader, but y (400) beside w and h does not fit.
  const session = await createSession(widen(10), { memoryBudget: { totalBytes: 900 }, fuse: false });
  await assert.rejects(
    session.run({ x: { data: ones(40), shape: [10, 4] } }),
    oom(/node 1 \(relu → %y\): output 0 float32\[10, 10\] needs 400 bytes while 560 bytes are held, over the session's total budget of 900 bytes/),
  );
  session.dispose();
  // Fused, the relu is the matmul's epilogue: h never exists, and w + x + y fit.
  const fused = await createSession(widen(10), { memoryBudget: { totalBytes: 900 } });
  assert.deepEqual((await fused.run({ x: { data: ones(40), shape: [10, 4] } })).y!.shape, [10, 10]);
  fused.dispose();
});

test("an input beyond the budget is refused by name before it is uploaded, and checkTensor lets a caller ask first", async () => {
  const session = await createSession(widen(2), { memoryBudget: { tensorBytes: 64 } });
  await assert.rejects(session.run({ x: { data: ones(40), shape: [10, 4] } }), oom(/input 'x' float32\[10, 4\] needs 160 bytes, over the budget of 64 bytes/));
  assert.throws(
    () => session.checkTensor("input 'x'", [1e9, 784], "float32"),
    oom(/input 'x' float32\[1000000000, 784\] needs 3\.14 TB \(3136000000000 bytes\)/),
  );
  session.dispose();
});

test("the default budget is the device's limits capped by the host's memory", () => {
  const budget = memoryBudget({ maxBufferBytes: 2 ** 31 - 1, totalMemoryBytes: Infinity });
  assert.equal(budget.tensorBytes, 2 ** 31 - 1);
  assert.ok(Number.isFinite(budget.totalBytes) && budget.totalBytes > 2 ** 20, `total ${budget.totalBytes}`);
  assert.equal(memoryBudget({ maxBufferBytes: 100, totalMemoryBytes: 200 }, { totalBytes: 5 }).totalBytes, 5);
  assert.equal(formatBytes(2_500_000), "2.50 MB (2500000 bytes)");
});

test("a graph whose fixed shapes exceed the budget is refused when the session is created, naming the value", async () => {
  const fixed = (rows: number) =>
    graph({
      name: "fixed",
      inputs: [info("x", [rows, 4])],
      outputs: [info("y", [rows, 10])],
      initializers: [init("w", [4, 10], Array.from(ones(40)))],
      nodes: [node("matmul", ["x", "w"], "y")],
    });
  await assert.rejects(createSession(fixed(1e9)), oom(/input 'x' float32\[1000000000, 4\] needs 16\.0 GB/));
  await assert.rejects(
    createSession(fixed(100), { memoryBudget: { tensorBytes: 2000 } }),
    oom(/node 0 \(matmul → %y\): output 0 float32\[100, 10\] needs 4000 bytes/),
  );
  const ok = await createSession(fixed(100));
  ok.dispose();
});

/** Three static matmuls in a chain: each output is freed after its reader, so the peak is two outputs, not three. */
const chain = graph({
  name: "chain",
  inputs: [info("x", [100, 10])],
  outputs: [info("c", [100, 10])],
  initializers: [init("w", [10, 10], Array.from(ones(100)))],
  nodes: [
    node("matmul", ["x", "w"], "a"),
    node("matmul", ["a", "w"], "b"),
    node("reshape", ["b"], "b2", { shape: [100, 10] }),
    node("matmul", ["b2", "w"], "c"),
  ],
});

test("the whole plan's peak is checked when the session is created, naming where it is reached", async () => {
  // w 400 + x 4000 + a 4000 + b 4000 (a freed after b is made; the reshape is a view) = 12,400 at most.
  await assert.rejects(
    createSession(chain, { memoryBudget: { totalBytes: 12_000 } }),
    oom(/the model would hold 12\.4 kB \(12400 bytes\) at once \(peak at node 1 \(matmul → %b\)\), over the session's total budget/),
  );
  const session = await createSession(chain, { memoryBudget: { totalBytes: 12_400 } });
  assert.deepEqual((await session.run({ x: { data: ones(1000), shape: [100, 10] } })).c!.shape, [100, 10]);
  session.dispose();
});
