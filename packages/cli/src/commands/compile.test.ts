import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { manualSeed, nn } from "@polychip/engine";
import { trace } from "@polychip/engine/graph";
import { execute, parseModel, serializeModel } from "@polychip/engine/runtime";
import { randn } from "@polychip/engine";
import { readFile } from "node:fs/promises";
import { compileCommand, type PlanReport } from "./compile.ts";

async function withModel(fn: (dir: string, model: string) => Promise<void>): Promise<void> {
  manualSeed(4);
  const dir = await mkdtemp(join(tmpdir(), "polychip-compile-"));
  const net = new nn.Sequential(new nn.Linear(6, 8), new nn.GELU(), new nn.Linear(8, 3), new nn.Sigmoid());
  try {
    const graph = await trace(net, [randn([2, 6])], { dynamicBatch: true });
    await writeFile(join(dir, "net.pcm"), serializeModel(graph));
    await fn(dir, join(dir, "net.pcm"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("compile reports kernels before and after fusion and the cpu's generated source", async () => {
  await withModel(async (_dir, model) => {
    const r = await compileCommand({ model, device: "cpu", report: true, json: true });
    assert.ok(r.after.fusedKernels >= 1, JSON.stringify(r));
    assert.ok(r.after.kernels < r.before.kernels, `${r.before.kernels} -> ${r.after.kernels}`);
    assert.deepEqual(r.symbolicDims, ["batch"]);
    const gelu = r.fused.find((k) => k.ops.includes("erf"))!;
    assert.match(gelu.source!, /function fusedKernel/);
    assert.ok(r.after.plannedPeakBytes <= r.before.plannedPeakBytes);
  });
});

test("compile reports each GEMM epilogue with its GEMM first and the cpu's source for it", async () => {
  await withModel(async (_dir, model) => {
    const r = await compileCommand({ model, device: "cpu", report: true, json: true });
    // Linear + GELU and Linear + Sigmoid: both matmuls take their bias and activation as an epilogue.
    assert.equal(r.after.epilogueKernels, 2, JSON.stringify(r.fused));
    const epilogue = r.fused.find((k) => k.op === "matmulEpilogue" && k.ops.includes("sigmoid"))!;
    assert.deepEqual(epilogue.ops, ["matmul", "add", "sigmoid"]);
    assert.match(epilogue.source!, /^\/\/ matmulEpilogue: the matmul kernel writes the product float32\[1, 3\]/);
    assert.match(epilogue.source!, /function fusedKernel/);
  });
});

test("compile --out writes a fused model that gives the same outputs", async () => {
  await withModel(async (dir, model) => {
    const out = join(dir, "fused.pcm");
    await compileCommand({ model, device: "cpu", report: false, out, json: true });
    const [original, fused] = [parseModel(await readFile(model)), parseModel(await readFile(out))];
    assert.ok(fused.nodes.some((n) => n.op === "matmulEpilogue"));
    const x = { data: Array.from({ length: 18 }, (_, i) => Math.sin(i)), shape: [3, 6] };
    const [a, b] = [await execute(original, { input: x }, { fuse: false }), await execute(fused, { input: x })];
    Array.from(a.output!.data).forEach((v, i) => assert.ok(Math.abs(v - b.output!.data[i]!) < 1e-6, `${v} vs ${b.output!.data[i]}`));
  });
});

test("compile --input plans an ONNX model with dynamic height/width for those inputs' shapes", async () => {
  const dir = await mkdtemp(join(tmpdir(), "polychip-compile-onnx-"));
  try {
    const model = new URL("../../../onnx/fixtures/dynamic-hw.onnx", import.meta.url).pathname;
    await assert.rejects(compileCommand({ model, device: "cpu", report: false, json: true }), /needs the static shape.*pass --input inputs\.json/);
    const input = join(dir, "x.json");
    await writeFile(input, JSON.stringify({ x: { shape: [1, 3, 10, 14], data: new Array(420).fill(0.5) } }));
    const r = await compileCommand({ model, device: "cpu", report: false, json: true, input });
    assert.deepEqual(r.symbolicDims, []);
    assert.ok(r.before.kernels > 0 && r.after.kernels <= r.before.kernels);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const fixture = (name: string) => new URL(`../../../onnx/fixtures/${name}`, import.meta.url).pathname;

test("compile on an If whose condition comes from the data: one plan per branch without inputs, --out needs --input", async () => {
  const model = fixture("data-if.onnx");
  const r = await compileCommand({ model, device: "cpu", report: false, json: true });
  assert.deepEqual(
    r.branches!.map((b) => b.assumed),
    [{ is16k: [1] }, { is16k: [0] }],
  );
  const opsOf = (b: PlanReport) => b.fused.map((k) => k.ops.filter((op) => op !== "const"));
  assert.deepEqual(r.branches!.map(opsOf), [[["exp", "mul", "add"]], [["tanh", "sub"]]]);
  assert.deepEqual(r.branches![0]!.droppedInputs, ["rate"]);
  await assert.rejects(
    compileCommand({ model, device: "cpu", report: false, json: true, out: join(tmpdir(), "never-written.pcm") }),
    (e: Error) => e.name === "UnsupportedOpError" && /gives 2 plans \(its If conditions 'is16k' depend on the data\); pass --input/.test(e.message),
  );
});

test("compile asks for --input when a value the model needs comes from the data and is no If's condition", async () => {
  await assert.rejects(
    compileCommand({ model: fixture("data-range.onnx"), device: "cpu", report: false, json: true }),
    (e: Error) => e.name === "UnsupportedOpError" && /Range's start, limit and delta must be known.*pass --input inputs\.json/.test(e.message),
  );
});

test("compile --input plans the branch the input takes, says what it fixed, and the .pcm computes that branch", async () => {
  const dir = await mkdtemp(join(tmpdir(), "polychip-compile-if-"));
  try {
    const model = fixture("data-if.onnx");
    const x = [0.5, -1, 2];
    const plan = async (rate: number) => {
      const input = join(dir, `in-${rate}.json`);
      const out = join(dir, `plan-${rate}.pcm`);
      await writeFile(input, JSON.stringify({ x: { shape: [1, 3], data: x }, rate: { shape: [], data: [rate], dtype: "int32" } }));
      const r = await compileCommand({ model, device: "cpu", report: false, json: true, input, out });
      const { y } = await execute(parseModel(await readFile(out)), { x: { data: x, shape: [1, 3] } });
      return { r, y: Array.from(y!.data) };
    };
    const khz16 = await plan(16000);
    assert.deepEqual(khz16.r.assumed, { is16k: [1] });
    assert.deepEqual(khz16.r.droppedInputs, ["rate"]);
    khz16.y.forEach((v, i) => assert.ok(Math.abs(v - (Math.exp(x[i]!) * 0.5 + 1)) < 1e-5, `${v}`));
    const khz8 = await plan(8000);
    assert.deepEqual(khz8.r.assumed, { is16k: [0] });
    khz8.y.forEach((v, i) => assert.ok(Math.abs(v - (Math.tanh(x[i]!) - 1)) < 1e-5, `${v}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
