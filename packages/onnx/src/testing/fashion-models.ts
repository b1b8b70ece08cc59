import { manualSeed, nn, rand, type Tensor } from "@polychip/engine";
import { trace } from "@polychip/engine/graph";
import type { Graph } from "@polychip/engine/runtime";

/**
 * The Fashion-MNIST architectures of packages/cli/src/models.ts (the CLI depends on this package,
 * so they are restated here), traced with seeded random weights and a dynamic batch.
 */
export function fashionMlp(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
}

export function fashionCnn(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 7 * 7, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

export async function tracedFashionModel(kind: "mlp" | "cnn", seed = 7): Promise<Graph> {
  manualSeed(seed);
  const model = kind === "mlp" ? fashionMlp() : fashionCnn();
  model.eval?.();
  const example: Tensor = rand([2, 1, 28, 28]);
  try {
    return await trace(model, [example], { dynamicBatch: true });
  } finally {
    example.dispose();
  }
}

/** Seeded uniform [0, 1) images, [n, 1, 28, 28], like normalised pixels. */
export function randomImages(n: number, seed: number): Float32Array {
  const out = new Float32Array(n * 784);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 2 ** 24;
  }
  return out;
}
