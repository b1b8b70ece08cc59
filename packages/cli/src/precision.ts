import type { Device } from "@polychip/hal";

/** What `train --precision` accepts: a policy, or "auto" to let the device's kind choose. */
export const PRECISION_CHOICES = ["auto", "fp32", "mixed-fp16"] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];
export type TrainingPrecision = Exclude<PrecisionChoice, "auto">;

/**
 * The training precision for a device. "auto" trains NPUs in mixed precision, as MLU-class chips
 * train: their tensor units multiply float16 only, so matmuls and convolutions run in float16 while
 * the optimiser keeps float32 master weights. CPUs and GPUs train float32 (exact, and as fast).
 */
export function trainingPrecision(choice: PrecisionChoice, device: Device): TrainingPrecision {
  if (choice !== "auto") return choice;
  return device.info.kind === "npu" ? "mixed-fp16" : "fp32";
}

/** One line for the training report. */
export function describePrecision(precision: TrainingPrecision): string {
  return precision === "mixed-fp16"
    ? "mixed-fp16 (float16 matmul/conv through autocast, float32 master weights and optimiser state, dynamic loss scaling)"
    : "fp32 (float32 compute and weights)";
}
