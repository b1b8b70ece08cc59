import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { DeviceTimeoutError, KernelError, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { randomValues } from "../test-utils.ts";
import { runOp, type HostInput } from "../testing.ts";
import { WorkerPool } from "./pool.ts";
import { CONTROL_BYTES, DYNAMIC_EXPORT, DYNAMIC_FN } from "./protocol.ts";
import { defineFunction, i32Params } from "../wasm/define.ts";
import { ModuleBuilder } from "../wasm/encoder.ts";
import { get, i32 } from "../wasm/instructions.ts";
import { WasmRuntime } from "./runtime.ts";

/** Waits (without blocking the event loop) until the pool's workers have instantiated the module. */
async function ready(pool: WorkerPool, workers: number): Promise<void> {
  for (let i = 0; i < 500 && pool.readyWorkers < workers; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(pool.readyWorkers, workers, pool.startupError ?? "workers did not start");
}

const input = (shape: number[], seed: number, view: Partial<HostInput> = {}): HostInput => ({
  values: randomValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ),
  shape,
  ...view,
});

/** Kernels big enough to be split into chunks, with odd sizes so that blocks have ragged edges. */
const CASES: [string, HostInput[], Attrs][] = [
  ["matmul", [input([3, 97, 130], 1), input([3, 211, 130], 2)], { transposeB: true }],
  ["matmul", [input([301, 77], 3), input([77, 263], 4)], {}],
  ["conv2d", [input([6, 5, 41, 45], 5), input([12, 5, 3, 3], 6), input([12], 7)], { pads: [1, 2, 1, 0], strides: [1, 2] }],
  ["conv2dGradInput", [input([6, 12, 41, 23], 8), input([12, 5, 3, 3], 6)], { pads: [1, 2, 1, 0], strides: [1, 2], inputShape: [6, 5, 41, 45] }],
  ["conv2dGradWeight", [input([6, 5, 41, 45], 5), input([6, 12, 41, 23], 8)], { pads: [1, 2, 1, 0], strides: [1, 2], weightShape: [12, 5, 3, 3] }],
  ["maxPool2dGrad", [input([8, 16, 30, 30], 9), input([8, 16, 15, 15], 10)], { kernel: [2, 2], strides: [2, 2] }],
  ["add", [input([64, 3000], 11), input([3000], 12)], {}],
  ["reduceSum", [input([40, 33, 70], 13)], { axes: [0, 2] }],
];

test("every kernel gives bitwise the same result on 1 and 3 threads", async () => {
  const one = new CpuDevice({ threads: 1 });
  const three = new CpuDevice({ threads: 3 });
  assert.equal(three.info.details?.threads, 3);
  await ready(three.fast!.pool!, 2);
  for (const [op, inputs, attrs] of CASES) {
    const a = runOp(op, inputs, attrs, { device: one })[0]!.values;
    const b = runOp(op, inputs, attrs, { device: three })[0]!.values;
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${op}: element ${i} is ${a[i]} on 1 thread, ${b[i]} on 3`);
  }
  await Promise.all([one.dispose(), three.dispose()]);
});

test("a kernel that traps in a worker surfaces as a KernelError and the pool keeps working", async () => {
  const device = new CpuDevice({ threads: 2 });
  const { pool, runtime } = device.fast!;
  await ready(pool!, 1);
  const trap = runtime.exportIndex("trap");
  const { base, stride } = runtime.scratchFor(2, 64);
  // The caller does not take chunks here, so the worker runs the trapping one.
  assert.throws(
    () => pool!.run(trap, [1], 4, base, stride),
    (e: unknown) => e instanceof KernelError && /worker 1/.test(e.message) && /unreachable/.test(e.message),
  );
  pool!.run(trap, [0], 4, base, stride);
  const [y] = runOp("matmul", [input([40, 300], 1), input([300, 50], 2)], {}, { device });
  assert.equal(y!.values.length, 2000);
  await device.dispose();
});

test("dispose stops every worker of a pool no other device uses", async () => {
  const device = new CpuDevice({ threads: 4 });
  const pool = device.fast!.pool!;
  await ready(pool, 3);
  runOp("matmul", [input([128, 128], 1), input([128, 128], 2)], {}, { device });
  assert.equal(pool.liveWorkers, 3);
  await device.dispose();
  assert.equal(pool.liveWorkers, 0);
});

test("a pool shared by two devices outlives the first one's dispose", async () => {
  const a = new CpuDevice({ threads: 5 });
  const b = new CpuDevice({ threads: 5 });
  const pool = a.fast!.pool!;
  assert.equal(b.fast!.pool, pool);
  await a.dispose();
  assert.equal(pool.liveWorkers, 4);
  await b.dispose();
  assert.equal(pool.liveWorkers, 0);
});

test("idle workers do not keep a Node process alive", () => {
  const device = fileURLToPath(new URL("../index.ts", import.meta.url));
  const script = `
    import { CpuDevice, runOp } from ${JSON.stringify(device)};
    const d = new CpuDevice({ threads: 2 });
    await new Promise((r) => setTimeout(r, 100));
    const n = 96;
    runOp("matmul", [{ values: new Float32Array(n * n).fill(1), shape: [n, n] }, { values: new Float32Array(n * n).fill(1), shape: [n, n] }], {}, { device: d });
    console.log("done", d.info.details.threads);`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 20000 });
  assert.equal(child.error, undefined, "the process did not exit on its own");
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /done 2/);
});

test("a job whose workers never finish ends in a DeviceTimeoutError naming it, and the pool then refuses work", async () => {
  const runtime = WasmRuntime.get();
  if (!runtime?.shared) return;
  const control = runtime.arena.alloc(CONTROL_BYTES)!;
  // No workers and no caller-side runner: nobody takes the chunks, as when a worker is stuck in a kernel.
  const pool = new WorkerPool({ module: runtime.module, memory: runtime.arena.memory, control, names: runtime.names }, 0);
  pool.deadlineMs = 50;
  try {
    const started = performance.now();
    assert.throws(
      () => pool.run(0, [], 4, 0, 0),
      (e: Error) => e instanceof DeviceTimeoutError && new RegExp(`did not finish job ${runtime.names[0]}: 0 of 4 chunks done after 50 ms`).test(e.message),
    );
    assert.ok(performance.now() - started < 2000, "the deadline, not a hang");
    assert.throws(() => pool.run(0, [], 1, 0, 0), /the worker pool stopped after a stall/);
  } finally {
    await pool.dispose();
    runtime.arena.free(control, CONTROL_BYTES);
  }
});

test("a module generated at run time runs its chunks on the workers, compiled there from the shared memory", async () => {
  const device = new CpuDevice({ threads: 3 });
  const { pool, runtime } = device.fast!;
  await ready(pool!, 2);
  // run(out, chunk0, chunk1, scratch): writes chunk + 100 at out[chunk].
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 65536, shared: runtime.shared });
  defineFunction(mod, DYNAMIC_EXPORT, { params: i32Params("out", "chunk0", "chunk1", "scratch") }, (p) =>
    i32.store(i32.add(get(p.out), i32.shl(get(p.chunk0), i32.const(2))), i32.add(get(p.chunk0), i32.const(100))),
  );
  const generated = runtime.loadModule(mod.encode());
  assert.ok(generated.shared, "the module's bytes are in the shared memory");
  const out = runtime.arena.alloc(64)!;
  const { base, stride } = runtime.scratchFor(3, 0);
  // No caller-side runner: only the workers take chunks.
  pool!.run(DYNAMIC_FN, [out], 16, base, stride, undefined, generated.shared);
  assert.deepEqual(
    Array.from(runtime.i32.subarray(out / 4, out / 4 + 16)),
    Array.from({ length: 16 }, (_, c) => c + 100),
  );
  assert.throws(() => pool!.run(DYNAMIC_FN, [out], 1, base, stride), /needs the module's bytes/);
  runtime.unloadModule(generated);
  runtime.arena.free(out, 64);
  await device.dispose();
});
