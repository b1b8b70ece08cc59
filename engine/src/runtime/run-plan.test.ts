import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelError, OutOfMemoryError, PolychipError } from "@polychip/hal";
import { getDeviceEntry, registerPlugin } from "../core/devices.ts";
import { fromHost, readView, shareView } from "../core/dispatch.ts";
import { setOpObserver } from "../core/op-observer.ts";
import { memoryStats } from "../core/storage.ts";
import { graph, info, init, node } from "../graph/testing.ts";
import { miniPlugin } from "../testing/mini-device.ts";
import { RunPlan } from "./run-plan.ts";
import { createSession, type SessionOptions } from "./session.ts";
import type { Graph } from "../graph/ir.ts";

const range = (n: number, from = 0) => Float32Array.from({ length: n }, (_, i) => from + i);
const cpuBuffers = () => memoryStats("cpu")[0]?.buffers ?? 0;

/** What `body` returns, and how many buffers the cpu device allocated meanwhile. */
async function countingAllocations<T>(body: () => Promise<T>): Promise<[T, number]> {
  const device = getDeviceEntry("cpu").device;
  const alloc = device.alloc;
  let allocations = 0;
  device.alloc = (bytes: number) => (allocations++, alloc.call(device, bytes));
  try {
    return [await body(), allocations];
  } finally {
    device.alloc = alloc;
  }
}

/** Views (a negative-step slice, reshape, split), a fused chain, a matmul, a reduction and a shape value. */
const mixed = graph({
  inputs: [info("x", ["batch", 4])],
  outputs: [info("first", ["batch", 2]), info("second", ["batch", 2]), info("total", ["batch", 1]), info("dims", [2], "int32")],
  initializers: [init("ten", [], [10]), init("w", [4, 4], range(16, -8))],
  nodes: [
    node("slice", ["x"], "rev", { starts: [-1], ends: [-1000], axes: [1], steps: [-1] }),
    node("add", ["rev", "ten"], "plus"),
    node("mul", ["plus", "plus"], "sq"),
    node("matmul", ["sq", "w"], "mm"),
    node("relu", ["mm"], "act"),
    node("reshape", ["act"], "flat", { shape: [0, -1] }),
    node("split", ["flat"], ["first", "second"], { axis: 1 }),
    node("reduceSum", ["act"], "total", { axes: [1], keepDims: true }),
    node("shape", ["act"], "dims"),
  ],
});

async function outputsOf(g: Graph, runs: readonly Record<string, { data: ArrayLike<number>; shape: number[] }>[], options: SessionOptions = {}) {
  const session = await createSession(g, { device: "cpu", ...options });
  const results = [];
  for (const feeds of runs) results.push(await session.run(feeds));
  const plans = session.planCount;
  session.dispose();
  return { results, plans };
}

test("from the second run with a signature, a plan runs the graph with outputs bit-identical to node by node", async () => {
  const runs = [2, 2, 2, 3, 2, 3, 1].map((rows, k) => ({ x: { data: range(rows * 4, k - 5), shape: [rows, 4] } }));
  const planned = await outputsOf(mixed, runs);
  const byNode = await outputsOf(mixed, runs, { runPlans: false });
  assert.equal(planned.plans, 2, "[2, 4] and [3, 4] ran twice or more and have a plan; [1, 4] ran once");
  assert.equal(byNode.plans, 0);
  runs.forEach((_, k) => {
    for (const name of ["first", "second", "total", "dims"]) {
      const a = planned.results[k]![name]!;
      const b = byNode.results[k]![name]!;
      assert.deepEqual(a.shape, b.shape, `run ${k} ${name} shape`);
      assert.equal(a.dtype, b.dtype);
      assert.deepEqual(Array.from(a.data), Array.from(b.data), `run ${k} ${name}`);
    }
  });
  assert.deepEqual(Array.from(planned.results[6]!.dims!.data), [1, 4], "a run after other shapes has its own shapes");
});

test("a plan is built once per signature and reused; another signature builds another", async () => {
  const built: string[] = [];
  const build = RunPlan.build;
  RunPlan.build = (source, layouts) => {
    built.push(layouts.map((l) => `[${l.shape.join(",")}]`).join(";"));
    return build.call(RunPlan, source, layouts);
  };
  try {
    const session = await createSession(mixed, { device: "cpu" });
    const run = (rows: number) => session.run({ x: { data: range(rows * 4), shape: [rows, 4] } });
    for (let i = 0; i < 4; i++) await run(2);
    assert.deepEqual(built, ["[2,4]"]);
    assert.equal(session.planCount, 1);
    await run(5);
    await run(5);
    await run(2);
    assert.deepEqual(built, ["[2,4]", "[5,4]"]);
    assert.equal(session.planCount, 2);
    session.dispose();
  } finally {
    RunPlan.build = build;
  }
});

test("a plan keeps a few buffers for its intermediates, reused by liveness, and frees them with the session", async () => {
  const chain = Array.from({ length: 20 }, (_, i) => node("neg", [i === 0 ? "x" : `v${i - 1}`], i === 19 ? "y" : `v${i}`));
  const g = graph({ inputs: [info("x", [64])], outputs: [info("y", [64])], nodes: [...chain, node("reshape", ["v3"], "unused", { shape: [8, 8] })] });
  const base = cpuBuffers();
  const session = await createSession(g, { device: "cpu", fuse: false });
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = await session.run({ x: { data: range(64), shape: [64] } });
    assert.equal(out.y!.data[5], 5);
    counts.push(cpuBuffers() - base);
  }
  assert.equal(session.planCount, 1);
  assert.equal(counts[0], 0, "the node-by-node run leaves nothing behind");
  // v3 lives until the last node (a reshape reads it); the other 18 intermediates take turns in 2 buffers.
  assert.deepEqual(counts.slice(1), [3, 3, 3, 3], "3 kept buffers (the input is written into one); outputs are freed");
  session.dispose();
  assert.equal(cpuBuffers(), base);
});

test("a plan keeps no buffers when they would not fit the budget beside what a run makes", async () => {
  const chain = Array.from({ length: 6 }, (_, i) => node("neg", [i === 0 ? "x" : `v${i - 1}`], i === 5 ? "y" : `v${i}`));
  const g = graph({ inputs: [info("x", [256])], outputs: [info("y", [256])], nodes: chain });
  const base = cpuBuffers();
  // A run holds at most the input, the value read and the one written: 3 KiB. Kept buffers would add
  // 2 KiB (the input is a device view here: a host input could go to a kept buffer and share it).
  const session = await createSession(g, { device: "cpu", fuse: false, memoryBudget: { totalBytes: 3 * 1024 } });
  // Outputs as views (the caller keeps them): not in a kept buffer either.
  const x = fromHost(range(256), [256], "float32", "cpu");
  for (let i = 0; i < 3; i++) {
    const { y } = await session.runViews({ x });
    assert.equal(new Float32Array((await readView(y!)).buffer)[1], 1);
    y!.storage.release();
  }
  x.storage.release();
  assert.equal(session.planCount, 1);
  assert.equal(cpuBuffers(), base, "nothing is kept between runs");
  session.dispose();
});

test("a device-view input at an offset is planned with its layout; another offset is another plan", async () => {
  const g = graph({
    inputs: [info("x", ["n", 4])],
    outputs: [info("y", ["n*2"])],
    nodes: [
      node("slice", ["x"], "tail", { starts: [2], ends: [4], axes: [1] }),
      node("reshape", ["tail"], "flat", { shape: [-1] }),
      node("neg", ["flat"], "y"),
    ],
  });
  const session = await createSession(g, { device: "cpu" });
  const storage = fromHost(range(16), [16], "float32", "cpu");
  const runAt = async (offset: number) => {
    const x = shareView(storage, { shape: [2, 4], strides: [4, 1], offset });
    try {
      return Array.from((await session.run({ x })).y!.data);
    } finally {
      x.storage.release();
    }
  };
  for (let i = 0; i < 3; i++) assert.deepEqual(await runAt(0), [-2, -3, -6, -7]);
  for (let i = 0; i < 3; i++) assert.deepEqual(await runAt(4), [-6, -7, -10, -11]);
  assert.equal(session.planCount, 2);
  storage.storage.release();
  session.dispose();
});

test("a graph whose sizes are computed on the device runs node by node every time, correctly", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 2, 3]), info("k", [1], "int32")],
    outputs: [info("y", ["batch", "m"])],
    initializers: [init("minusOne", [1], [-1], "int32")],
    nodes: [node("add", ["k", "k"], "rows"), node("concat", ["rows", "minusOne"], "target", { axis: 0 }), node("reshape", ["x", "target"], "y")],
  });
  const session = await createSession(g, { device: "cpu" });
  for (const k of [1, 1, 3, 3]) {
    const out = await session.run({ x: { data: range(12), shape: [2, 2, 3] }, k: { data: [k], shape: [1] } });
    assert.deepEqual(out.y!.shape, [2 * k, 12 / (2 * k)], `k = ${k}`);
  }
  assert.equal(session.planCount, 0);
  session.dispose();
});

test("an error in a planned run is the node-by-node error, naming the node; nothing leaks", async () => {
  const g = graph({
    inputs: [info("table", [4, 2]), info("at", [3], "int32")],
    outputs: [info("y", [3, 2])],
    nodes: [node("relu", ["table"], "r"), node("gather", ["r", "at"], "y", { axis: 0 })],
  });
  const failure = async (options: SessionOptions) => {
    const session = await createSession(g, { device: "cpu", ...options });
    const feeds = (at: number[]) => ({ table: { data: range(8), shape: [4, 2] }, at: { data: at, shape: [3] } });
    for (let i = 0; i < 3; i++) assert.deepEqual(Array.from((await session.run(feeds([3, 0, 1]))).y!.data), [6, 7, 0, 1, 2, 3]);
    const base = cpuBuffers();
    const err = await session.run(feeds([0, 9, 1])).then(
      () => assert.fail("an index out of range must be refused"),
      (e: Error) => e,
    );
    assert.equal(cpuBuffers(), base, "nothing leaks");
    const plans = session.planCount;
    session.dispose();
    return { err, plans };
  };
  const planned = await failure({});
  const byNode = await failure({ runPlans: false });
  assert.equal(planned.plans, 1);
  assert.ok(planned.err instanceof PolychipError && planned.err.constructor === byNode.err.constructor, `${planned.err.name} vs ${byNode.err.name}`);
  assert.match(planned.err.message, /^node 1 \(gather → %y\): /);
  assert.equal(planned.err.message, byNode.err.message);
  assert.ok(!(planned.err instanceof KernelError) || /gather/.test(planned.err.message));
});

test("with a plan for small inputs, larger ones are still checked against the budget node by node", async () => {
  const g = graph({
    inputs: [info("x", ["n", 4])],
    outputs: [info("y", ["n", 10])],
    initializers: [init("w", [4, 10], range(40))],
    nodes: [node("matmul", ["x", "w"], "h"), node("relu", ["h"], "y")],
  });
  const session = await createSession(g, { device: "cpu", memoryBudget: { tensorBytes: 2000 }, fuse: false });
  const run = (n: number) => session.run({ x: { data: new Float32Array(n * 4).fill(1), shape: [n, 4] } });
  for (let i = 0; i < 3; i++) assert.deepEqual((await run(10)).y!.shape, [10, 10]);
  assert.equal(session.planCount, 1);
  await assert.rejects(
    run(100),
    (e: Error) => e instanceof OutOfMemoryError && /node 0 \(matmul → %h\): output 0 float32\[100, 10\] needs 4000 bytes/.test(e.message),
  );
  await assert.rejects(run(100), OutOfMemoryError, "a refused signature never gets a plan");
  assert.equal(session.planCount, 1);
  assert.deepEqual(Array.from((await run(10)).y!.data.slice(0, 3)), [60, 64, 68]);
  session.dispose();
});

test("while an op observer is installed, runs go node by node so it sees every op", async () => {
  const g = graph({ inputs: [info("x", [3])], outputs: [info("y", [3])], nodes: [node("neg", ["x"], "n"), node("relu", ["n"], "y")] });
  const session = await createSession(g, { device: "cpu", fuse: false });
  const seen: string[] = [];
  const previous = setOpObserver((op) => seen.push(op));
  try {
    for (let i = 0; i < 3; i++) await session.run({ x: { data: [1, -2, 3], shape: [3] } });
  } finally {
    setOpObserver(previous);
  }
  assert.deepEqual(seen, ["neg", "relu", "neg", "relu", "neg", "relu"]);
  assert.deepEqual(Array.from((await session.run({ x: { data: [1, -2, 3], shape: [3] } })).y!.data), [0, 2, 0]);
  session.dispose();
});

test("a kernel that throws in a planned run falls back as node by node, its result landing in the kept buffer", async () => {
  await registerPlugin(miniPlugin({ name: "throws-neg", keep: () => true, throwOn: "neg" }));
  const g = graph({
    inputs: [info("x", [4])],
    outputs: [info("y", [4])],
    initializers: [init("two", [], [2])],
    nodes: [node("relu", ["x"], "r"), node("neg", ["r"], "n"), node("mul", ["n", "two"], "y")],
  });
  const session = await createSession(g, { device: "throws-neg", fuse: false });
  for (let i = 0; i < 4; i++) {
    const out = await session.run({ x: { data: [i, -1, 2, -3], shape: [4] } });
    assert.deepEqual(Array.from(out.y!.data), [-2 * i, -0, -4, -0], `run ${i}`);
  }
  assert.equal(session.planCount, 1);
  session.dispose();
});

test("outputs a caller holds from one run keep their values through later runs", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [6])],
    nodes: [node("neg", ["x"], "n"), node("relu", ["n"], "r"), node("reshape", ["r"], "y", { shape: [-1] })],
  });
  const session = await createSession(g, { device: "cpu", fuse: false });
  const held = [];
  for (let i = 0; i < 4; i++) held.push((await session.runViews({ x: { data: range(6, -3 - i), shape: [2, 3] } })).y!);
  assert.equal(session.planCount, 1);
  for (const [i, y] of held.entries()) {
    const expected = Array.from(range(6, -3 - i), (v) => Math.max(0, -v));
    assert.deepEqual(Array.from(new Float32Array((await readView(y)).buffer)), expected, `run ${i}`);
    y.storage.release();
  }
  session.dispose();
});

test("views of initializers are fixed once; a graph output that is one stays the caller's", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [2, 3]), info("wt", [3, 2])],
    initializers: [init("w", [6], range(6, -2))],
    nodes: [node("reshape", ["w"], "w23", { shape: [2, 3] }), node("mul", ["x", "w23"], "y"), node("reshape", ["w"], "wt", { shape: [3, 2] })],
  });
  const session = await createSession(g, { device: "cpu", fuse: false });
  for (let i = 0; i < 3; i++) {
    const out = await session.run({ x: { data: range(6, i), shape: [2, 3] } });
    assert.deepEqual(
      Array.from(out.y!.data),
      Array.from(range(6, i), (v, k) => v * (k - 2)),
      `run ${i}`,
    );
    assert.deepEqual(out.wt!.shape, [3, 2]);
    assert.deepEqual(Array.from(out.wt!.data), [-2, -1, 0, 1, 2, 3]);
  }
  assert.equal(session.planCount, 1);
  session.dispose();
});

test("a host input goes to a buffer the plan keeps: each run's values reach the steps, no input storage is made", async () => {
  const g = graph({ inputs: [info("x", [2, 3])], outputs: [info("y", [2, 3])], nodes: [node("neg", ["x"], "n"), node("relu", ["n"], "y")] });
  const session = await createSession(g, { device: "cpu", fuse: false });
  for (let i = 0; i < 5; i++) {
    const [out, allocations] = await countingAllocations(() => session.run({ x: { data: range(6, -3 - i), shape: [2, 3] } }));
    assert.deepEqual(
      Array.from(out.y!.data),
      Array.from(range(6, -3 - i), (v) => Math.max(0, -v)),
      `run ${i}`,
    );
    // The output too lives in a kept buffer: run() reads it back before another run can start.
    if (i > 1) assert.equal(allocations, 0, `run ${i}: nothing is allocated`);
  }
  assert.equal(session.planCount, 1);
  session.dispose();
});

test("a host input that an output is a view of is placed afresh each run, not kept", async () => {
  const g = graph({
    inputs: [info("x", [2, 3])],
    outputs: [info("y", [6]), info("z", [2, 3])],
    nodes: [node("reshape", ["x"], "y", { shape: [-1] }), node("neg", ["x"], "z")],
  });
  const session = await createSession(g, { device: "cpu", fuse: false });
  const held = [];
  for (let i = 0; i < 4; i++) held.push((await session.runViews({ x: { data: range(6, i), shape: [2, 3] } })).y!);
  assert.equal(session.planCount, 1);
  for (const [i, y] of held.entries()) {
    assert.deepEqual(Array.from(new Float32Array((await readView(y)).buffer)), Array.from(range(6, i)), `run ${i}`);
    y.storage.release();
  }
  session.dispose();
});

test("a negative-step slice is planned as a gather of indices the plan uploads once", async () => {
  const g = graph({
    inputs: [info("x", [3, 4])],
    outputs: [info("y", [3, 4])],
    nodes: [node("neg", ["x"], "n"), node("slice", ["n"], "y", { starts: [-1, -1], ends: [-1000, -1000], axes: [0, 1], steps: [-1, -1] })],
  });
  const session = await createSession(g, { device: "cpu", fuse: false });
  for (let i = 0; i < 4; i++) {
    const x = range(12, i);
    const [out, allocations] = await countingAllocations(() => session.run({ x: { data: x, shape: [3, 4] } }));
    assert.deepEqual(Array.from(out.y!.data), Array.from(x, (v) => -v).reverse(), `run ${i}`);
    // Planned: nothing (the flipped indices, the intermediate and the output read back are the plan's).
    if (i > 1) assert.equal(allocations, 0, `run ${i} allocations`);
  }
  assert.equal(session.planCount, 1);
  const base = cpuBuffers();
  session.dispose();
  assert.ok(cpuBuffers() < base, "dispose frees the plan's indices");
});

test("a reshape of a transposed value is planned as a copy kernel and a view, not a dispatch", async () => {
  // Attention's heads merged back: [heads, tokens, dim] transposed to [tokens, heads, dim], then [tokens, heads·dim].
  const g = graph({
    inputs: [info("x", [2, 3, 4])],
    outputs: [info("y", [3, 8]), info("z", [3, 8])],
    nodes: [node("neg", ["x"], "n"), node("permute", ["n"], "t", { dims: [1, 0, 2] }), node("reshape", ["t"], "y", { shape: [3, 8] }), node("abs", ["y"], "z")],
  });
  const session = await createSession(g, { device: "cpu", fuse: false });
  for (let i = 0; i < 4; i++) {
    const x = range(24, i - 12);
    const [out, allocations] = await countingAllocations(() => session.run({ x: { data: x, shape: [2, 3, 4] } }));
    const expected = [0, 1, 2].flatMap((tok) => [0, 1].flatMap((h) => Array.from(x.subarray(h * 12 + tok * 4, h * 12 + tok * 4 + 4), (v) => -v)));
    assert.deepEqual(Array.from(out.y!.data), expected, `run ${i}`);
    assert.deepEqual(Array.from(out.z!.data), expected.map(Math.abs), `run ${i}`);
    // Planned: nothing (the copy is the plan's kept buffer; a dispatched copy would allocate every run).
    if (i > 1) assert.equal(allocations, 0, `run ${i} allocations`);
  }
  assert.equal(session.planCount, 1);
  session.dispose();
});

test("runs started together each read their own outputs from the plan's kept buffers", async () => {
  const g = graph({ inputs: [info("x", [4])], outputs: [info("y", [4])], nodes: [node("neg", ["x"], "n"), node("mul", ["n", "n"], "y")] });
  const session = await createSession(g, { device: "cpu", fuse: false });
  for (let round = 0; round < 3; round++) {
    const results = await Promise.all([0, 1, 2, 3].map((i) => session.run({ x: { data: range(4, 10 * i), shape: [4] } })));
    results.forEach((out, i) =>
      assert.deepEqual(
        Array.from(out.y!.data),
        Array.from(range(4, 10 * i), (v) => v * v),
        `round ${round}, run ${i}`,
      ),
    );
  }
  assert.equal(session.planCount, 1);
  session.dispose();
});
