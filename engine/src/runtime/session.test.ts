import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuDevice, cpuKernels } from "@polychip/device-cpu";
import { DTypeError, HAL_VERSION, PolychipError, ShapeError, UnsupportedOpError, type Device, type DevicePlugin } from "@polychip/hal";
import { registerPlugin } from "../core/devices.ts";
import { fromHost, shareView } from "../core/dispatch.ts";
import { memoryStats } from "../core/storage.ts";
import { miniPlugin } from "../testing/mini-device.ts";
import { graph, info, init, node } from "../graph/testing.ts";
import { createSession, execute } from "./session.ts";

const range = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
const cpuBuffers = () => memoryStats("cpu")[0]?.buffers ?? 0;

test("runs HAL ops and structural ops: a negative-step slice, a reshape with 0 and -1, a split", async () => {
  const g = graph({
    inputs: [info("x", ["batch", 4])],
    outputs: [info("first", ["batch", 2]), info("second", ["batch", 2])],
    initializers: [init("ten", [], [10])],
    nodes: [
      node("slice", ["x"], "rev", { starts: [-1], ends: [-1000], axes: [1], steps: [-1] }),
      node("add", ["rev", "ten"], "plus"),
      node("reshape", ["plus"], "flat", { shape: [0, -1] }),
      node("split", ["flat"], ["first", "second"], { axis: 1 }),
    ],
  });
  const out = await execute(g, { x: { data: range(8), shape: [2, 4] } });
  assert.deepEqual(Array.from(out.first!.data), [13, 12, 17, 16]);
  assert.deepEqual(Array.from(out.second!.data), [11, 10, 15, 14]);
  assert.deepEqual(out.first!.shape, [2, 2]);
});

test("a reshape target computed at run time (shape → gather → concat, ONNX style) is read back from the device", async () => {
  await registerPlugin(miniPlugin({ name: "async-dev", keep: () => true }));
  const g = graph({
    inputs: [info("x", ["batch", 2, 3])],
    outputs: [info("y", ["batch", 6])],
    initializers: [init("zero", [1], [0], "int32"), init("minusOne", [1], [-1], "int32")],
    nodes: [
      node("shape", ["x"], "s"),
      node("gather", ["s", "zero"], "n", { axis: 0 }),
      node("concat", ["n", "minusOne"], "target", { axis: 0 }),
      node("reshape", ["x", "target"], "y"),
    ],
  });
  const out = await execute(g, { x: { data: range(12), shape: [2, 2, 3] } }, { device: "async-dev" });
  assert.deepEqual(out.y!.shape, [2, 6]);
  assert.deepEqual(Array.from(out.y!.data), Array.from(range(12)));
});

/** The cpu device under another name, counting live and peak bytes. */
function countingPlugin(): { plugin: DevicePlugin; peak: () => number; live: () => number } {
  let live = 0;
  let peak = 0;
  const plugin: DevicePlugin = {
    name: "counting",
    halVersion: HAL_VERSION,
    kernels: cpuKernels.map((k) => ({ ...k, device: "counting" })),
    create(): Device {
      const inner = new CpuDevice();
      return {
        info: { ...inner.info, name: "counting" },
        capabilities: inner.capabilities,
        alloc: (b) => {
          live += b;
          peak = Math.max(peak, live);
          return inner.alloc(b);
        },
        free: (b) => {
          live -= b.bytes;
          inner.free(b as never);
        },
        write: (b, d, o) => inner.write(b as never, d, o),
        read: (b, o, n) => inner.read(b as never, o, n),
        readSync: (b, o, n) => inner.readSync(b as never, o, n),
        launch: (k, c) => inner.launch(k as never, c as never),
        sync: () => inner.sync(),
      };
    },
  };
  return { plugin, peak: () => peak, live: () => live };
}

test("every intermediate is freed as soon as its last reader ran, so a long chain needs only a few buffers", async () => {
  const counter = countingPlugin();
  await registerPlugin(counter.plugin);
  const n = 1000;
  const chain = Array.from({ length: 20 }, (_, i) => node("neg", [i === 0 ? "x" : `v${i - 1}`], i === 19 ? "y" : `v${i}`));
  const g = graph({ inputs: [info("x", [n])], outputs: [info("y", [n])], nodes: chain });
  const session = await createSession(g, { device: "counting" });
  const before = counter.live();
  const out = await session.run({ x: { data: range(n), shape: [n] } });
  assert.equal(out.y!.data[5], 5); // an even number of negations
  // Input + the value being read + the one being written (+ the read-back copy): never the whole chain.
  assert.ok(counter.peak() - before <= 4 * n * 4, `peak ${counter.peak() - before} bytes for 20 values of ${n * 4}`);
  assert.equal(counter.live(), before, "nothing is left behind after the run");
  session.dispose();
});

test("initializers are uploaded once per session and freed by dispose", async () => {
  const g = graph({
    inputs: [info("x", [2])],
    outputs: [info("y", [2])],
    initializers: [init("w", [2], [3, 4])],
    nodes: [node("mul", ["x", "w"], "y")],
  });
  const base = cpuBuffers();
  const session = await createSession(g, { device: "cpu" });
  const held = cpuBuffers() - base;
  assert.equal(held, 1);
  for (let i = 0; i < 3; i++) {
    const out = await session.run({ x: { data: [1, 2], shape: [2] } });
    assert.deepEqual(Array.from(out.y!.data), [3, 8]);
    // From the second run a plan runs it, keeping buffers for the input and the output it reads back.
    assert.equal(cpuBuffers() - base, held + (i === 0 ? 0 : 2), `run ${i} leaves only the initializers and the plan's buffers`);
  }
  session.dispose();
  assert.equal(cpuBuffers(), base);
});

test("device views are accepted as inputs and outputs come back as views the caller owns", async () => {
  const g = graph({ inputs: [info("x", [3])], outputs: [info("y", [3])], nodes: [node("relu", ["x"], "y")] });
  const session = await createSession(g, { device: "cpu" });
  const x = fromHost([-1, 0, 2], [3], "float32", "cpu");
  const { y } = await session.runViews({ x });
  assert.deepEqual(y!.shape, [3]);
  assert.ok(x.storage.alive, "the caller's input is not released by the run");
  x.storage.release();
  y!.storage.release();
  session.dispose();
});

test("a node's plan is reused while its input keeps its shape: a view input at another offset, then another shape", async () => {
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
  const at = (offset: number, rows: number) => shareView(storage, { shape: [rows, 4], strides: [4, 1], offset });
  const runAt = async (offset: number, rows: number) => {
    const x = at(offset, rows);
    try {
      const { y } = await session.run({ x });
      return Array.from(y!.data);
    } finally {
      x.storage.release();
    }
  };
  assert.deepEqual(await runAt(0, 2), [-2, -3, -6, -7]);
  assert.deepEqual(await runAt(4, 2), [-6, -7, -10, -11], "the slice planned at offset 0 is shifted to the new input's offset");
  assert.deepEqual(await runAt(4, 3), [-6, -7, -10, -11, -14, -15], "a new shape is planned afresh");
  storage.storage.release();
  session.dispose();
});

const model = graph({
  name: "clf",
  inputs: [info("image", ["batch", 4]), info("mask", ["batch", 4], "bool")],
  outputs: [info("y", ["batch", 4])],
  initializers: [init("zero", [], [0])],
  nodes: [node("where", ["mask", "image", "zero"], "y")],
});
const image = (rows: number) => ({ data: range(rows * 4), shape: [rows, 4] });
const mask = (rows: number) => ({ data: new Uint8Array(rows * 4).fill(1), shape: [rows, 4], dtype: "bool" as const });

test("wrong input names are refused with the model's inputs listed", async () => {
  const s = await createSession(model);
  await assert.rejects(
    s.run({ image: image(2) }),
    (e: Error) => e instanceof PolychipError && /missing input 'mask' \(expected bool\[batch, 4\]\)/.test(e.message),
  );
  await assert.rejects(
    s.run({ image: image(2), mask: mask(2), extra: image(2) }),
    /unknown input 'extra'; the model's inputs are 'image' float32\[batch, 4\], 'mask'/,
  );
  s.dispose();
});

test("wrong dtypes and shapes name the input, what was expected and what came", async () => {
  const s = await createSession(model);
  await assert.rejects(
    s.run({ image: { ...image(2), dtype: "int32" }, mask: mask(2) }),
    (e: Error) => e instanceof DTypeError && /input 'image': expected dtype float32 .* got int32\[2, 4\]/.test(e.message),
  );
  await assert.rejects(
    s.run({ image: { data: range(8), shape: [8] }, mask: mask(2) }),
    (e: Error) => e instanceof ShapeError && /input 'image': expected shape \[batch, 4\] \(rank 2\), got \[8\]/.test(e.message),
  );
  await assert.rejects(s.run({ image: { data: range(6), shape: [2, 3] }, mask: mask(2) }), /input 'image': dim 1 must be 4/);
  await assert.rejects(s.run({ image: image(2), mask: mask(3) }), /input 'mask': dim 0 \('batch'\) is 3, but input 'image' set 'batch' to 2/);
  await assert.rejects(s.run({ image: { data: range(7), shape: [2, 4] }, mask: mask(2) }), /input 'image': 7 values do not fill shape \[2, 4\]/);
  const ok = await s.run({ image: image(3), mask: mask(3) });
  assert.deepEqual(ok.y!.shape, [3, 4]);
  s.dispose();
});

test("an op nothing can run is refused when the session is created", async () => {
  const g = graph({ inputs: [info("x", [2])], outputs: [info("y", [2])], nodes: [node("frobnicate", ["x"], "y")] });
  await assert.rejects(createSession(g), (e: Error) => e instanceof UnsupportedOpError && /op 'frobnicate'/.test(e.message));
});

test("an error inside a node names the node and keeps its class; nothing leaks", async () => {
  const g = graph({ inputs: [info("x", ["n"])], outputs: [info("y", [5])], nodes: [node("neg", ["x"], "t"), node("reshape", ["t"], "y", { shape: [5] })] });
  const base = cpuBuffers();
  await assert.rejects(
    execute(g, { x: { data: range(4), shape: [4] } }),
    (e: Error) => e instanceof ShapeError && /^node 1 \(reshape → %y\): reshape: cannot reshape \[4\]/.test(e.message),
  );
  assert.equal(cpuBuffers(), base);
});
