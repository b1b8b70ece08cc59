// Fashion-MNIST with a multi-layer perceptron: 784 → 128 → 10, trained with Adam.
// Press Ctrl/Cmd+Enter (or Run). Loss and accuracy appear live in the Charts tab.
import { nn, optim, tensor, tidy, noGrad, crossEntropy, log, setModel, loadFashionMnist, DataLoader, batchShape, studioDevice } from "polychip";

const STEPS = 300; // training steps
const BATCH = 64;

const data = await loadFashionMnist({ trainLimit: STEPS * BATCH, testLimit: 1000 });
console.log(data.description, "— training on", studioDevice());

const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new DataLoader(data.train, { batchSize: BATCH, shuffle: true, seed: 1, standardize: true });

let step = 0;
while (step < STEPS) {
  for (const batch of loader) {
    if (step >= STEPS) break;
    const x = tensor(batch.x, { shape: batchShape(batch.size, "flat") });
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

// Accuracy on held-out test images.
model.eval();
let correct = 0;
for (const batch of new DataLoader(data.test, { batchSize: 250, standardize: true })) {
  const hits = noGrad(() =>
    tidy(() =>
      model
        .forward(tensor(batch.x, { shape: batchShape(batch.size, "flat") }))
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

setModel(model, tensor(new Float32Array(784), { shape: [1, 784] }));
