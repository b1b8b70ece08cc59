import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy, manualSeed, nn, noGrad, optim, randn, setDefaultDevice, tensor, tidy, type Tensor } from "../index.ts";
import { trace } from "../trace/trace.ts";
import { parseModel, serializeModel } from "../io/model-file.ts";
import { execute } from "../runtime/session.ts";
import { GraphModule } from "./graph-module.ts";

setDefaultDevice("cpu");

/** A saved .pcm of a small CNN, as `polychip export` writes it. */
async function savedCnn(): Promise<Uint8Array> {
  manualSeed(5);
  const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3));
  model.eval();
  const graph = await trace(model, [randn([2, 1, 8, 8])], { dynamicBatch: true, name: "cnn" });
  model.dispose();
  return serializeModel(graph);
}

/** Three classes told apart by which third of the image is bright. */
function task(n: number): [Tensor, Tensor] {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const images = new Float32Array(n * 64);
  labels.forEach((c, i) => {
    for (let p = 0; p < 64; p++) images[i * 64 + p] = (Math.floor((p % 8) / 3) === c ? 1 : 0) + 0.1 * Math.sin(i * 7 + p);
  });
  return [tensor(images, { shape: [n, 1, 8, 8] }), tensor(labels)];
}

test("a loaded .pcm becomes a module whose initialisers are parameters, computing what the runtime computes", async () => {
  const graph = parseModel(await savedCnn());
  const module = new GraphModule(graph);
  assert.deepEqual(
    Object.keys(module.weights),
    graph.initializers.map((i) => i.name),
  );
  assert.equal(module.parameters().length, graph.initializers.length);
  const [x] = task(2);
  const eager = Array.from(await noGrad(() => module.forward(x)).data());
  const ran = (await execute(graph, { [graph.inputs[0]!.name]: { data: await x.data(), shape: x.shape } }))[graph.outputs[0]!.name]!;
  Array.from(ran.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - eager[i]!) < 1e-5, `output ${i}: ${v} vs ${eager[i]}`));
});

test("fine-tuning the imported graph lowers its loss, and the trained graph exports and runs again", async () => {
  const module = new GraphModule(parseModel(await savedCnn()));
  const opt = new optim.Adam(module.parameters(), { lr: 0.02 });
  const [x, y] = task(30);
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    const loss = tidy(() => {
      const l = crossEntropy(module.call(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.detach();
    });
    losses.push(await loss.item());
  }
  assert.ok(losses.at(-1)! < losses[0]! * 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
  const exported = parseModel(serializeModel(await module.toGraph()));
  const ran = (await execute(exported, { [exported.inputs[0]!.name]: { data: await x.data(), shape: x.shape } }))[exported.outputs[0]!.name]!;
  const eager = Array.from(await noGrad(() => module.forward(x)).data());
  Array.from(ran.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - eager[i]!) < 1e-4, `exported output ${i}: ${v} vs ${eager[i]}`));
});

test("a graph with an op that cannot be replayed is refused up front, naming the op", () => {
  const graph = {
    name: "g",
    inputs: [{ name: "x", dtype: "float32" as const, shape: [2] }],
    outputs: [{ name: "y", dtype: "float32" as const, shape: [2] }],
    nodes: [{ op: "fancyOp", inputs: ["x"], outputs: ["y"], attrs: {} }],
    initializers: [],
  };
  assert.throws(() => new GraphModule(graph), /graph 'g' uses ops that cannot be trained yet: fancyOp/);
});
