import type { ConvShape } from "./onnx/bench-models.ts";
import type { ModelKind } from "./models/params.ts";

export interface MatmulCase {
  readonly kind: "matmul";
  readonly id: string;
  readonly title: string;
  readonly n: number;
  /** Floating-point operations of one run, for GFLOP/s. */
  readonly flops: number;
}

export interface Conv2dCase {
  readonly kind: "conv2d";
  readonly id: string;
  readonly title: string;
  readonly shape: ConvShape;
  readonly flops: number;
}

export interface TrainCase {
  readonly kind: "train";
  readonly id: string;
  readonly title: string;
  readonly model: ModelKind;
  readonly batch: number;
}

export interface InferCase {
  readonly kind: "infer";
  readonly id: string;
  readonly title: string;
  readonly model: ModelKind;
  readonly batch: number;
}

/** One trained model of @polychip/onnx's real-model suite, inference on its first input set. */
export interface ModelCase {
  readonly kind: "model";
  readonly id: string;
  readonly title: string;
  /** The suite's model name (packages/onnx/real-models/models.json). */
  readonly model: string;
}

export type BenchCase = MatmulCase | Conv2dCase | TrainCase | InferCase | ModelCase;

export function matmulCase(n: number): MatmulCase {
  return { kind: "matmul", id: `matmul-${n}`, title: `matmul ${n}×${n}·${n}×${n}`, n, flops: 2 * n ** 3 };
}

export function conv2dCase(shape: ConvShape = { batch: 1, channels: 64, size: 56, outChannels: 64, kernel: 3 }): Conv2dCase {
  const { batch, channels, size, outChannels, kernel } = shape;
  const id =
    batch === 1 && channels === 64 && size === 56 && outChannels === 64 && kernel === 3
      ? "conv2d"
      : `conv2d-${batch}x${size}x${size}x${channels}-${kernel}x${kernel}-${outChannels}`;
  return {
    kind: "conv2d",
    id,
    title: `conv2d ${batch}×${size}×${size}×${channels} ${kernel}×${kernel}→${outChannels} same`,
    shape,
    flops: 2 * batch * size * size * outChannels * channels * kernel * kernel,
  };
}

export function trainCase(model: ModelKind, batch = 64): TrainCase {
  return { kind: "train", id: `${model}-train-${batch}`, title: `${model.toUpperCase()} training step, batch ${batch} (SGD)`, model, batch };
}

export function inferCase(model: ModelKind, batch: number): InferCase {
  return { kind: "infer", id: `${model}-infer-${batch}`, title: `${model.toUpperCase()} inference, batch ${batch}`, model, batch };
}

export function modelCase(model: string, task: string, inputShape: readonly number[]): ModelCase {
  return { kind: "model", id: `model-${model}`, title: `${model} [${inputShape.join("×")}] (${task})`, model };
}

/** The cpu cases of issue 6, in the order they run. */
export function cpuCases(): BenchCase[] {
  return [
    matmulCase(128),
    matmulCase(256),
    matmulCase(512),
    matmulCase(1024),
    conv2dCase(),
    trainCase("mlp"),
    trainCase("cnn"),
    trainCase("resnet"),
    inferCase("cnn", 1),
    inferCase("cnn", 64),
  ];
}

/** A subset that finishes in about a minute: enough to see that every runner works. */
export function quickCases(): BenchCase[] {
  return [matmulCase(128), matmulCase(256), conv2dCase(), trainCase("mlp"), inferCase("cnn", 1)];
}

/**
 * `--only` filter: comma-separated case ids or prefixes ("matmul" picks every matmul,
 * "cnn-train-64" one case).
 */
export function filterCases(cases: readonly BenchCase[], only: string | undefined): BenchCase[] {
  if (!only) return [...cases];
  if (only === "none") return [];
  const wanted = only
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const picked = cases.filter((c) => wanted.some((w) => c.id === w || c.id.startsWith(w)));
  if (picked.length === 0) {
    throw new Error(`--only ${only}: no case matches; cases are ${cases.map((c) => c.id).join(", ")}`);
  }
  return picked;
}
