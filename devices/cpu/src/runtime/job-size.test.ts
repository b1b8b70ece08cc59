import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuDevice } from "../device.ts";
import { defineFunction, i32Params, locals } from "../wasm/define.ts";
import { ModuleBuilder } from "../wasm/encoder.ts";
import { forRange, get, i32, inc, set } from "../wasm/instructions.ts";
import { runOp } from "../testing.ts";
import { randomValues } from "../test-utils.ts";
import { DYNAMIC_EXPORT } from "./protocol.ts";
import { ChunkTimes, MAX_SIZES_PER_KERNEL } from "./job-size.ts";
import type { WasmRuntime } from "./runtime.ts";

/** A generated kernel: each chunk c spins `spin` steps (kept, in the scratch) and writes c + 100 at out[c]. */
function spinningKernel(runtime: WasmRuntime) {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared: runtime.shared });
  defineFunction(mod, DYNAMIC_EXPORT, { params: i32Params("out", "spin", "chunk0", "chunk1", "scratch") }, (p, fn) => {
    const [c, k, acc] = locals(fn, "i32", 3);
    return forRange(
      c!,
      get(p.chunk0),
      get(p.chunk1),
      1,
      forRange(k!, i32.const(0), get(p.spin), 1, set(acc!, i32.add(i32.mul(get(acc!), i32.const(31)), get(k!)))),
      i32.store(get(p.scratch), get(acc!)),
      i32.store(i32.add(get(p.out), i32.shl(get(c!), i32.const(2))), i32.add(get(c!), i32.const(100))),
      inc(acc!, 0),
    );
  });
  return runtime.loadModule(mod.encode());
}

async function withKernel(body: (run: (spin: number, chunks: number, work?: number) => number[], jobs: () => number) => void): Promise<void> {
  const device = new CpuDevice({ threads: 2 });
  const { pool, runtime } = device.fast!;
  const kernel = spinningKernel(runtime);
  const out = runtime.arena.alloc(256)!;
  try {
    body(
      (spin, chunks, work) => {
        runtime.i32.fill(0, out / 4, out / 4 + 64);
        runtime.runModule(pool, kernel, [out, spin], chunks, 64, work);
        return Array.from(runtime.i32.subarray(out / 4, out / 4 + chunks));
      },
      () => pool!.jobsPublished,
    );
  } finally {
    runtime.unloadModule(kernel);
    runtime.arena.free(out, 256);
    await device.dispose();
  }
}

const expected = (chunks: number) => Array.from({ length: chunks }, (_, c) => c + 100);

test("a job of tiny chunks runs on the calling thread without waking the workers", async () => {
  await withKernel((run, jobs) => {
    // One chunk first: the kernel's first call compiles it, which no job size should be judged by.
    assert.deepEqual(run(0, 1), expected(1));
    const before = jobs();
    for (let i = 0; i < 5; i++) assert.deepEqual(run(0, 16), expected(16));
    // At most one, where the machine took the core away during a probe: never one a job.
    assert.ok(jobs() - before <= 1, `${jobs() - before} of 5 tiny jobs woke the workers`);
  });
});

test("a job of long chunks is handed to the workers, from its first chunk once its size is known", async () => {
  await withKernel((run, jobs) => {
    const before = jobs();
    // About a millisecond a chunk: far above the threshold.
    assert.deepEqual(run(2_000_000, 6), expected(6));
    assert.equal(jobs(), before + 1);
    assert.deepEqual(run(2_000_000, 6), expected(6));
    assert.equal(jobs(), before + 2);
  });
});

test("a large job is not kept on the calling thread by a small one of as many chunks when both give their work", async () => {
  await withKernel((run, jobs) => {
    assert.deepEqual(run(0, 1), expected(1));
    for (let round = 0; round < 3; round++) {
      // As a batched matmul's tiny per-head products, then a large product cut into as many blocks.
      assert.deepEqual(run(0, 6, 100), expected(6));
      const before = jobs();
      assert.deepEqual(run(2_000_000, 6, 1e9), expected(6));
      assert.equal(jobs(), before + 1, `round ${round}: the large job ran on the workers`);
    }
  });
});

test("a batched matmul of tiny products does not keep a large matmul of as many chunks on the calling thread", async () => {
  // ppocr-v4-rec's 8-head attention products and its 20x120x6625 classifier: 8 chunks each.
  const device = new CpuDevice({ threads: 2 });
  const operand = (shape: number[], seed: number) => ({
    values: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  });
  const heads = [operand([8, 20, 15], 1), operand([8, 15, 20], 2)];
  const classifier = [operand([20, 120], 3), operand([120, 6625], 4)];
  try {
    for (let round = 0; round < 3; round++) {
      runOp("matmul", heads, {}, { device });
      const before = device.fast!.pool!.jobsPublished;
      runOp("matmul", classifier, {}, { device });
      assert.equal(device.fast!.pool!.jobsPublished, before + 1, `round ${round}: the classifier ran on the workers`);
    }
  } finally {
    await device.dispose();
  }
});

test("a slow measurement raises a kernel's chunk time by a quarter at most; a fast one lowers it at once", () => {
  const times = new ChunkTimes();
  const k = {};
  times.record(k, 8, 0.01);
  times.record(k, 8, 1); // a job that lost its time slice
  assert.equal(times.perChunk(k, 8), 0.0125);
  times.record(k, 8, 0.002);
  assert.equal(times.perChunk(k, 8), 0.002);
});

test("chunk times are kept per kernel, chunk count and work, and start over past their cap", () => {
  const times = new ChunkTimes();
  const a = {};
  const b = {};
  times.record(a, 4, 0.5);
  assert.equal(times.perChunk(a, 4), 0.5);
  assert.equal(times.perChunk(a, 5), undefined);
  assert.equal(times.perChunk(b, 4), undefined);
  times.record(a, 4, 0.001, 1000);
  assert.equal(times.perChunk(a, 4, 1000), 0.001, "a job's work keeps it apart from jobs of as many chunks");
  assert.equal(times.perChunk(a, 4), 0.5);
  assert.equal(times.perChunk(a, 4, 2000), undefined);
  const last = 10 + MAX_SIZES_PER_KERNEL;
  for (let n = 10; n <= last; n++) times.record(a, n, 1);
  assert.equal(times.perChunk(a, 4), undefined, "the oldest sizes were dropped");
  assert.equal(times.perChunk(a, last), 1);
});
