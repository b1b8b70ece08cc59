export { Optimizer } from "./optimizer.ts";
export { SGD, type SgdOptions } from "./sgd.ts";
export { Adam, AdamW, type AdamOptions } from "./adam.ts";
export { StepLR, CosineAnnealingLR } from "./schedulers.ts";
