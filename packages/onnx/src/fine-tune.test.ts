import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy, manualSeed, nn, noGrad, optim, randn, setDefaultDevice, tensor, tidy, type Tensor } from "@polychip/engine";
import { trace } from "@polychip/engine/graph";
import { exportOnnx, importOnnx } from "./index.ts";

setDefaultDevice("cpu");

/** Three classes told apart by which third of an 8x8 image is bright. */
function task(n: number, phase: number): [Tensor, Tensor] {
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + phase) % 3);
  const images = new Float32Array(n * 64);
  labels.forEach((c, i) => {
    for (let p = 0; p < 64; p++) images[i * 64 + p] = (Math.floor((p % 8) / 3) === c ? 1 : 0) + 0.3 * Math.sin(i * 13 + p * 3 + phase);
  });
  return [tensor(images, { shape: [n, 1, 8, 8] }), tensor(labels)];
}

async function accuracy(model: nn.Module, [x, y]: [Tensor, Tensor]): Promise<number> {
  const hits = noGrad(() => model.call(x).argmax(1).eq(y).sum());
  return (await hits.item()) / y.size;
}

test("an ONNX model imported with importOnnx fine-tunes as a GraphModule until its accuracy rises, and exports again", async () => {
  manualSeed(5);
  const source = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 3));
  const onnxBytes = exportOnnx(await trace(source.eval(), [randn([2, 1, 8, 8])], { dynamicBatch: true, name: "cnn" }));
  const model = new nn.GraphModule(importOnnx(onnxBytes));
  const train = task(48, 0);
  const held = task(30, 1);
  const before = await accuracy(model, held);
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  for (let step = 0; step < 30; step++) {
    tidy(() => {
      const l = crossEntropy(model.call(train[0]), train[1]);
      opt.zeroGrad();
      l.backward();
      opt.step();
    });
  }
  const after = await accuracy(model, held);
  assert.ok(after > before && after >= 0.9, `held-out accuracy ${before} -> ${after}`);
  const again = new nn.GraphModule(importOnnx(exportOnnx(await model.toGraph())));
  assert.equal(await accuracy(again, held), after);
});
