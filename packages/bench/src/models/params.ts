import { labelArray, uniformArray } from "./seeded.ts";

/** A host tensor in PyTorch layout: conv weights [out, in, kh, kw], linear weights [out, in]. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface DenseParams {
  readonly weight: HostTensor;
  readonly bias: HostTensor;
}

export interface MlpParams {
  readonly kind: "mlp";
  readonly fc1: DenseParams;
  readonly fc2: DenseParams;
}

export interface CnnParams {
  readonly kind: "cnn";
  readonly conv1: DenseParams;
  readonly conv2: DenseParams;
  readonly fc1: DenseParams;
  readonly fc2: DenseParams;
}

export type ModelParams = MlpParams | CnnParams;

/** The learning rate of every peer's SGD training step. */
export const SGD_LR = 0.01;
/** Models with shared weights (every peer starts from the same values), and the ResNet (Polychip and PyTorch only, each with its own init). */
export type ModelKind = ModelParams["kind"] | "resnet";
export type SharedModelKind = ModelParams["kind"];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** PyTorch's default init range (uniform ±1/sqrt(fan_in)), seeded, so all peers start from identical values. */
function dense(weightShape: readonly number[], seed: number): DenseParams {
  const fanIn = size(weightShape.slice(1));
  const bound = 1 / Math.sqrt(fanIn);
  return {
    weight: { shape: weightShape, data: uniformArray(size(weightShape), bound, seed) },
    bias: { shape: [weightShape[0]!], data: uniformArray(weightShape[0]!, bound, seed + 1) },
  };
}

export function mlpParams(seed = 1): MlpParams {
  return { kind: "mlp", fc1: dense([128, 784], seed), fc2: dense([10, 128], seed + 10) };
}

/** Same layers as `cnn()` in @polychip/cli: conv3x3·32 → pool → conv3x3·64 → pool → linear 128 → linear 10. */
export function cnnParams(seed = 1): CnnParams {
  return {
    kind: "cnn",
    conv1: dense([32, 1, 3, 3], seed),
    conv2: dense([64, 32, 3, 3], seed + 10),
    fc1: dense([128, 64 * 7 * 7], seed + 20),
    fc2: dense([10, 128], seed + 30),
  };
}

export function modelParams(kind: SharedModelKind, seed = 1): ModelParams {
  return kind === "mlp" ? mlpParams(seed) : cnnParams(seed);
}

/** One Fashion-MNIST-shaped batch: images [batch, 1, 28, 28] (NCHW) and labels. */
export interface HostBatch {
  readonly batch: number;
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

export function syntheticBatch(batch: number, seed = 7): HostBatch {
  return { batch, images: uniformArray(batch * 28 * 28, 1, seed), labels: labelArray(batch, 10, seed + 1) };
}
