// Fashion-MNIST with a small convolutional network: two conv → ReLU → max-pool blocks and a
// linear classifier. Watch the Profiler tab: conv2d, matmul and their gradients per device.
import { nn, optim, tensor, tidy, noGrad, crossEntropy, log, setModel, loadFashionMnist, DataLoader, batchShape, studioDevice } from "polychip";

const STEPS = 120; // training steps
const BATCH = 32;

const data = await loadFashionMnist({ trainLimit: STEPS * BATCH, testLimit: 500 });
console.log(data.description, "— training on", studioDevice());

const model = new nn.Sequential(
  new nn.Conv2d(1, 8, 3, { padding: 1 }),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Conv2d(8, 16, 3, { padding: 1 }),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(16 * 7 * 7, 10),
);
const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
const loader = new DataLoader(data.train, { batchSize: BATCH, shuffle: true, seed: 1, standardize: true });

let step = 0;
while (step < STEPS) {
  for (const batch of loader) {
    if (step >= STEPS) break;
    const x = tensor(batch.x, { shape: batchShape(batch.size, "image") });
    const y = tensor(batch.y);
    const [loss, accuracy] = tidy(() => {
      const logits = model.forward(x);
      const l = crossEntropy(logits, y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return [l.detach(), logits.argmax(1).eq(y).float().mean()];
    });
    log(step, { loss: await loss.item(), accuracy: await accuracy.item() }, { samples: batch.size });
    for (const t of [x, y, loss, accuracy]) t.dispose();
    step++;
  }
}

model.eval();
let correct = 0;
for (const batch of new DataLoader(data.test, { batchSize: 100, standardize: true })) {
  const hits = noGrad(() =>
    tidy(() =>
      model
        .forward(tensor(batch.x, { shape: batchShape(batch.size, "image") }))
        .argmax(1)
        .eq(tensor(batch.y))
        .float()
        .sum(),
    ),
  );
  correct += await hits.item();
  hits.dispose();
}
console.log(`test accuracy: ${((100 * correct) / data.test.count).toFixed(1)}% on ${data.test.count} images`);

setModel(model, tensor(new Float32Array(784), { shape: [1, 1, 28, 28] }));
