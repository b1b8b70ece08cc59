import { nn } from "@polychip/engine";
import { PolychipError } from "@polychip/hal";

export const MODEL_NAMES = ["mlp", "cnn"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** The Fashion-MNIST MLP: 784-128-10. Takes [N, 1, 28, 28] or [N, 784]. */
export function mlp(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
}

/** Channel and hidden widths of the CNN; narrower ones keep the simulated-chip tests fast. hidden 0: the classifier reads the conv features directly. */
export interface CnnWidths {
  conv1: number;
  conv2: number;
  hidden: number;
}

/** The Fashion-MNIST CNN: conv3x3·32 → ReLU → maxpool → conv3x3·64 → ReLU → maxpool → linear 128 → ReLU → linear 10. */
export function cnn({ conv1, conv2, hidden }: CnnWidths = { conv1: 32, conv2: 64, hidden: 128 }): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, conv1, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(conv1, conv2, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    ...(hidden > 0 ? [new nn.Linear(conv2 * 7 * 7, hidden), new nn.ReLU(), new nn.Linear(hidden, 10)] : [new nn.Linear(conv2 * 7 * 7, 10)]),
  );
}

export function createModel(name: string): nn.Module {
  if (name === "mlp") return mlp();
  if (name === "cnn") return cnn();
  throw new PolychipError(`unknown model '${name}': choose one of ${MODEL_NAMES.join(", ")}`);
}
