/**
 * Graph mode on the simulated NPU: a compiled training step and a fused session hand npu-sim the
 * engine's fused groups (`fused`, matmulEpilogue), which it runs as one launch each. Launches are
 * counted on the chip's own kernel log, so a decomposition's inner launches count too.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import "./testing/first-party-devices.ts";
import { compile, fallbackReport, nn, optim, profiler, removeDevice, resetFallbackReport, setDefaultDevice, useDevice } from "./index.ts";
import { createSession, type Graph } from "./runtime.ts";
import { assertClose, batchOf, plainCnn, trainStep, twins } from "./testing/compile-twins.ts";

/** The chip's side of a run: its launches in order (the simulator's NpuSimDevice, kept structural so the engine imports no plugin). */
interface Chip {
  readonly kernelLog: readonly { readonly op: string }[];
  resetStats(): void;
}

let npu: Chip;
before(async () => {
  npu = (await useDevice("npu-sim")) as unknown as Chip;
  setDefaultDevice("npu-sim");
});
after(() => {
  setDefaultDevice("cpu");
  removeDevice("npu-sim");
});

async function launchesOf(run: () => Promise<unknown>): Promise<string[]> {
  npu.resetStats();
  await run();
  return npu.kernelLog.map((k) => k.op);
}

test("a compiled CNN training step on npu-sim equals eager, runs fused groups natively and launches fewer kernels", async () => {
  resetFallbackReport();
  const [eagerModel, compiledModel] = twins(plainCnn);
  const opt = (m: nn.Module) => new optim.Adam(m.parameters(), { lr: 0.01 });
  const eagerStep = trainStep(eagerModel, opt(eagerModel));
  const compiledStep = compile(trainStep(compiledModel, opt(compiledModel)));
  const [x, y] = batchOf([6, 1, 8, 8], 3);
  for (let i = 0; i < 3; i++) {
    const [le, lc] = [eagerStep(x, y), compiledStep(x, y)];
    await assertClose(lc, le, 1e-5, `loss at step ${i}`);
    le.dispose();
    lc.dispose();
  }
  const eager = await launchesOf(async () => (await eagerStep(x, y).data(), undefined));
  profiler.start();
  const compiled = await launchesOf(async () => (await compiledStep(x, y).data(), undefined));
  const events = profiler.stop().filter((e) => e.device === "npu-sim" && e.category === "kernel");
  // The profile shows each fused group as one kernel event naming its member ops.
  const fusedEvents = events.filter((e) => e.name === "fused" || e.name.endsWith("Epilogue"));
  assert.equal(fusedEvents.length, compiled.filter((o) => o === "fused" || o.endsWith("Epilogue")).length);
  assert.ok(
    fusedEvents.some((e) => e.name === "conv2dEpilogue" && e.args!.members === "conv2d+relu"),
    fusedEvents.map((e) => `${e.name}: ${e.args!.members}`).join("\n"),
  );
  const eagerParams = new Map(eagerModel.namedParameters());
  for (const [name, p] of compiledModel.namedParameters()) await assertClose(p, eagerParams.get(name)!, 1e-5, `parameter ${name}`);
  const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
  assert.ok(count(compiled, "fused") >= 5, `fused launches: ${count(compiled, "fused")}`);
  assert.ok(count(compiled, "matmulEpilogue") >= 2, `matmulEpilogue launches: ${count(compiled, "matmulEpilogue")}`);
  assert.equal(count(eager, "fused"), 0);
  assert.ok(compiled.length < 0.8 * eager.length, `${compiled.length} launches compiled vs ${eager.length} eager`);
  assert.deepEqual(fallbackReport(), [], "nothing fell back to the cpu");
});

/** An MLP block as an importer writes it: matmul, bias add, tanh-GELU spelled out op by op, matmul, bias add, sigmoid. */
function mlpGraph(): Graph {
  const ramp = (n: number, seed: number, scale: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.7 + seed) * scale));
  const scalar = (name: string, v: number) => ({ name, dtype: "float32" as const, shape: [], data: Float32Array.of(v) });
  const op = (o: string, inputs: string[], output: string) => ({ op: o, inputs, outputs: [output], attrs: {} });
  return {
    name: "mlp",
    inputs: [{ name: "x", dtype: "float32", shape: [4, 16] }],
    outputs: [{ name: "y", dtype: "float32", shape: [4, 8] }],
    initializers: [
      { name: "w1", dtype: "float32", shape: [16, 32], data: ramp(512, 1, 0.3) },
      { name: "b1", dtype: "float32", shape: [32], data: ramp(32, 2, 0.1) },
      { name: "w2", dtype: "float32", shape: [32, 8], data: ramp(256, 3, 0.3) },
      { name: "b2", dtype: "float32", shape: [8], data: ramp(8, 4, 0.1) },
      scalar("c", 0.044715),
      scalar("k", Math.sqrt(2 / Math.PI)),
      scalar("one", 1),
      scalar("half", 0.5),
    ],
    nodes: [
      op("matmul", ["x", "w1"], "m1"),
      op("add", ["m1", "b1"], "h"),
      op("mul", ["h", "h"], "h2"),
      op("mul", ["h2", "h"], "h3"),
      op("mul", ["h3", "c"], "t0"),
      op("add", ["h", "t0"], "t1"),
      op("mul", ["t1", "k"], "t2"),
      op("tanh", ["t2"], "t3"),
      op("add", ["t3", "one"], "t4"),
      op("mul", ["h", "t4"], "t5"),
      op("mul", ["t5", "half"], "g"),
      op("matmul", ["g", "w2"], "m2"),
      op("add", ["m2", "b2"], "z"),
      op("sigmoid", ["z"], "y"),
    ],
  };
}

test("a fused session on npu-sim hands its claim the fused groups: equal outputs, two launches instead of fourteen", async () => {
  const x = { data: Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.37)), shape: [4, 16] };
  const reference = await (await createSession(mlpGraph(), { device: "cpu", fuse: false })).run({ x });
  const results: Record<string, { values: ArrayLike<number>; launches: string[] }> = {};
  for (const fuse of [false, true]) {
    const session = await createSession(mlpGraph(), { device: "npu-sim", fuse });
    let out: ArrayLike<number> = [];
    const launches = await launchesOf(async () => (out = (await session.run({ x })).y!.data as ArrayLike<number>));
    session.dispose();
    results[String(fuse)] = { values: out, launches };
  }
  const expected = reference.y!.data as ArrayLike<number>;
  for (const [fuse, r] of Object.entries(results)) {
    assert.equal(r.values.length, 32);
    for (let i = 0; i < 32; i++) assert.ok(Math.abs(r.values[i]! - expected[i]!) < 1e-5, `fuse ${fuse}: y[${i}] = ${r.values[i]}, expected ${expected[i]}`);
  }
  assert.deepEqual(results.true!.launches, ["matmulEpilogue", "matmulEpilogue"]);
  assert.equal(results.false!.launches.length, 14);
});
