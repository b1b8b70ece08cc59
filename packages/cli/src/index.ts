export { createModel, mlp, cnn, type ModelName } from "./models.ts";
export { train, evaluate, type EpochStats, type TrainOptions } from "./training.ts";
export { trainCommand, type TrainArgs, type TrainResult } from "./commands/train.ts";
export { writeFileAtomic, readBytes } from "./files.ts";
