import { nn } from "@polychip/engine";
import { PolychipError } from "@polychip/hal";

export const MODEL_NAMES = ["mlp", "cnn"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The Fashion-MNIST MLP: 784-128-10. Takes [N, 1, 28, 28] or [N, 784]. */
export function mlp(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
}

/** The Fashion-MNIST CNN: conv3x3·32 → ReLU → maxpool → conv3x3·64 → ReLU → maxpool → linear 128 → ReLU → linear 10. */
export function cnn(): nn.Module {
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

export function createModel(name: string): nn.Module {
  if (name === "mlp") return mlp();
  if (name === "cnn") return cnn();
  throw new PolychipError(`unknown model '${name}': choose one of ${MODEL_NAMES.join(", ")}`);
}
