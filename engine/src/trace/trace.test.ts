import assert from "node:assert/strict";
import { test } from "node:test";
import { PolychipError, ShapeError } from "@polychip/hal";
import { memory } from "../memory.ts";
import { nn, tensor, randn, manualSeed, noGrad, add, mul, reshape, relu, type Tensor } from "../index.ts";
import { execute } from "../runtime/session.ts";
import { printGraph } from "../graph/print.ts";
import { optimize } from "../graph.ts";
import { trace } from "./trace.ts";

function mlp(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 8), new nn.ReLU(), new nn.Linear(8, 3));
}

async function eager(model: nn.Module, x: Tensor): Promise<Float32Array> {
  model.eval();
  const y = noGrad(() => model.forward(x));
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

test("trace captures a module with parameters named by module path and prints one line per node", async () => {
  manualSeed(3);
  const model = mlp();
  const x = randn([2, 3, 4]);
  const g = await trace(model, [x], { dynamicBatch: true, name: "mlp" });
  assert.deepEqual(
    g.initializers.map((i) => i.name),
    ["1.weight", "1.bias", "3.weight", "3.bias"],
  );
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ["reshape", "matmul", "add", "relu", "matmul", "add"],
  );
  assert.deepEqual(g.inputs, [{ name: "input", dtype: "float32", shape: ["batch", 3, 4] }]);
  assert.deepEqual(g.outputs, [{ name: "output", dtype: "float32", shape: ["batch", 3] }]);
  const text = printGraph(g);
  assert.match(text, /^graph mlp\(%input: float32\[batch,3,4\]\) -> \(%output: float32\[batch,3\]\)$/m);
  assert.match(text, /^ {2}%1 = reshape\(%input\) \{shape: \[0,12\]\} {2}# float32\[batch,12\]$/m);
  assert.match(text, /^ {2}%2 = matmul\(%1, %1\.weight\) \{transposeA: false, transposeB: true\} {2}# float32\[batch,8\]$/m);
  assert.match(text, /^ {2}%output = add\(%5, %3\.bias\) {2}# float32\[batch,3\]$/m);
  x.dispose();
  model.dispose();
});

test("a graph traced with dynamic batch runs other batch sizes bit-identically to eager on cpu", async () => {
  manualSeed(4);
  const model = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(16, 5));
  const example = randn([1, 2, 4, 4]);
  const g = await trace(model, [example], { dynamicBatch: true });
  for (const batch of [1, 3]) {
    const x = randn([batch, 2, 4, 4]);
    const expected = await eager(model, x);
    const out = await execute(g, { input: { data: await x.data(), shape: x.shape } });
    assert.deepEqual(out.output!.shape, [batch, 5]);
    assert.deepEqual(Array.from(out.output!.data), Array.from(expected));
    x.dispose();
  }
  example.dispose();
  model.dispose();
});

test("a traced function turns outside tensors into initializers and can return its input", async () => {
  const scale = tensor([2, 3]);
  const fn = (a: Tensor, b: Tensor) => [relu(mul(add(a, b), scale)), a];
  const a = tensor([[1, -2]]);
  const b = tensor([[1, 1]]);
  const g = await trace(fn, [a, b], { outputNames: ["y", "same"] });
  assert.deepEqual(
    g.inputs.map((i) => i.name),
    ["input0", "input1"],
  );
  assert.deepEqual(
    g.initializers.map((i) => [i.name, Array.from(i.data)]),
    [["const0", [2, 3]]],
  );
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ["add", "mul", "relu", "identity"],
  );
  const out = await execute(g, { input0: { data: [3, 4], shape: [1, 2] }, input1: { data: [1, -9], shape: [1, 2] } });
  assert.deepEqual(Array.from(out.y!.data), [8, 0]);
  assert.deepEqual(Array.from(out.same!.data), [3, 4]);
  for (const t of [scale, a, b]) t.dispose();
});

test("batch norm in eval mode is traced as one batchNorm node reading the running statistics", async () => {
  const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2));
  const x = randn([2, 1, 5, 5]);
  model.train();
  const g = await trace(model, [x], { dynamicBatch: true });
  assert.equal(model.training, true, "the module's training mode is restored");
  const bn = g.nodes.find((n) => n.op === "batchNorm")!;
  assert.deepEqual(bn.inputs.slice(1), ["1.weight", "1.bias", "1.runningMean", "1.runningVar"]);
  x.dispose();
  model.dispose();
});

test("trace → optimize folds a trained Conv2d + BatchNorm2d into one conv2d that matches eager within 1e-5", async () => {
  manualSeed(9);
  const model = new nn.Sequential(new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.BatchNorm2d(3), new nn.ReLU());
  model.train();
  noGrad(() => model.forward(randn([4, 2, 5, 5], { mean: 1, std: 2 })).dispose()); // running statistics away from 0 and 1
  const x = randn([2, 2, 5, 5]);
  const g = await optimize(await trace(model, [x], { dynamicBatch: true }));
  assert.deepEqual(
    g.nodes.map((n) => n.op),
    ["conv2d", "relu"],
  );
  const expected = await eager(model, x);
  const got = (await execute(g, { input: { data: await x.data(), shape: x.shape } })).output!.data;
  let max = 0;
  for (let i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i]! - expected[i]!));
  assert.ok(max <= 1e-5, `max difference ${max}`);
  x.dispose();
  model.dispose();
});

test("dynamic batch merges the batch into a dim and splits it back, for every batch size", async () => {
  const fn = (t: Tensor) => reshape(mul(reshape(t, [t.shape[0]! * 3, 2]), 2), [t.shape[0]!, 6]);
  const example = randn([2, 3, 2]);
  const g = await trace(fn, [example], { dynamicBatch: true });
  assert.deepEqual(g.outputs[0]!.shape, ["batch", 6]);
  for (const batch of [1, 5]) {
    const x = randn([batch, 3, 2]);
    const out = await execute(g, { input: { data: await x.data(), shape: x.shape } });
    assert.deepEqual(out.output!.shape, [batch, 6]);
    assert.deepEqual(Array.from(out.output!.data), Array.from(await fn(x).data()));
    x.dispose();
  }
  example.dispose();
});

test("dynamic batch refuses a reshape that mixes the batch with other dims, or could place it in two dims", async () => {
  const x = randn([4, 3]);
  await assert.rejects(
    trace((t: Tensor) => reshape(t, [6, 2]), [x], { dynamicBatch: true }),
    (e: Error) => e instanceof ShapeError && /reshape from \["batch",3\] to \[6, 2\] mixes the batch with other dims/.test(e.message),
  );
  const g = await trace((t: Tensor) => reshape(t, [6, 2]), [x]);
  assert.deepEqual(g.outputs[0]!.shape, [6, 2], "without dynamicBatch the shapes are the example's");
  const y = randn([2, 6]);
  await assert.rejects(
    trace((t: Tensor) => reshape(t, [3, 2, 2]), [y], { dynamicBatch: true }),
    (e: Error) => e instanceof ShapeError && /could put the batch in dims 1 or 2; trace with another example batch size/.test(e.message),
  );
  const single = randn([1, 4, 3]);
  await assert.rejects(
    trace((t: Tensor) => reshape(t, [4, 3]), [single], { dynamicBatch: true }),
    (e: Error) => e instanceof ShapeError && /could put the batch in dims 0 or 1/.test(e.message),
    "with an example batch of 1, [1, 4, 3] -> [4, 3] could merge the batch into either dim",
  );
  x.dispose();
  y.dispose();
  single.dispose();
});

test("tracing leaves no tensors behind and does not nest", async () => {
  const model = mlp();
  const x = randn([2, 12]);
  const before = memory("cpu")[0]!.tensors;
  await trace(model, [x], { dynamicBatch: true });
  assert.equal(memory("cpu")[0]!.tensors, before);
  let inner: Promise<unknown> | undefined;
  await trace(
    (t: Tensor) => {
      inner = trace((u: Tensor) => relu(u), [t]);
      return relu(t);
    },
    [x],
  );
  await assert.rejects(inner!, (e: Error) => e instanceof PolychipError && /already tracing/.test(e.message));
  x.dispose();
  model.dispose();
});
