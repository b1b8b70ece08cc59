export { createModel, mlp, cnn, type ModelName } from "./models.ts";
export { train, evaluate, type EpochStats, type TrainOptions } from "./training.ts";
export { trainCommand, type TrainArgs, type TrainResult } from "./commands/train.ts";
export { exportCommand, graphFromCheckpoint, type ExportArgs, type ExportResult } from "./commands/export.ts";
export { runCommand, readInputFile, type RunArgs, type RunResult } from "./commands/run.ts";
export { evalCommand, evaluateGraph, EVAL_BATCH, type EvalArgs, type EvalResult } from "./commands/eval.ts";
export { quickstartCommand, type QuickstartArgs, type QuickstartResult } from "./commands/quickstart.ts";
export { saveModel, saveOnnx, loadModel, loadOnnxSupport } from "./model-files.ts";
export { writeFileAtomic, readBytes, checkOutputPath, FileError } from "./files.ts";
