import { findKernel, getDeviceEntry } from "@polychip/engine/core";
import type { DeviceKind } from "@polychip/hal";

/** What `train --precision` accepts: a policy, or "auto" to let the device choose. */
export const PRECISION_CHOICES = ["auto", "fp32", "mixed-fp16"] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];
export type TrainingPrecision = Exclude<PrecisionChoice, "auto">;

/** What the policy looks at: the device's kind and whether it has float16 kernels for matmul and conv2d (a tensor unit). */
export interface PrecisionTraits {
  readonly kind: DeviceKind;
  readonly float16TensorOps: boolean;
}

/** The traits of a loaded device, from its info and the kernel registry. */
export function precisionTraits(device: string): PrecisionTraits {
  const entry = getDeviceEntry(device);
  return {
    kind: entry.device.info.kind,
    float16TensorOps: ["matmul", "conv2d"].every((op) => findKernel(entry, op, "float16") !== undefined),
  };
}

/**
 * The training precision. "auto" trains an NPU with float16 matmul and conv kernels in mixed
 * precision, as MLU-class chips train: the tensor unit multiplies float16 only, so the layers
 * compute in float16 while the optimiser keeps float32 master weights. Everything else (CPUs,
 * GPUs, an int8-only NPU, a plugin without float16 kernels) trains float32.
 */
export function trainingPrecision(choice: PrecisionChoice, traits: PrecisionTraits): TrainingPrecision {
  if (choice !== "auto") return choice;
  return traits.kind === "npu" && traits.float16TensorOps ? "mixed-fp16" : "fp32";
}

/** One line for the training report. */
export function describePrecision(precision: TrainingPrecision): string {
  return precision === "mixed-fp16"
    ? "mixed-fp16 (float16 matmul/conv through autocast, float32 master weights and optimiser state, dynamic loss scaling)"
    : "fp32 (float32 compute and weights)";
}
