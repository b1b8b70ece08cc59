/**
 * @polychip/plugin-sdk/kit: the conformance kit. It depends on the CPU reference device (the
 * oracle), which is why it is not part of the plugin-facing entry.
 */
export { runConformance, type ConformanceOptions, type ConformanceReport, type CaseRecord, type CellResult, type CellStatus } from "./run-conformance.ts";
export { loadPlugin, resolvePlugin, isDevicePlugin, pluginFromModule } from "../resolve/load-plugin.ts";
export { compareValues, toleranceFor, type Comparison, type Tolerance } from "./compare.ts";
export { encode, decode, upload, allocOutput, download } from "./tensors.ts";
export { OpExecutor } from "./executor.ts";
export { executorFor, referenceExecutor, runOp, type HostTensor } from "./run-op.ts";
export { generatorFor, type CaseContext, type CaseGenerator, type ConformanceCase, type TensorInput, type OutputLayout } from "./cases/index.ts";
export { parseConformanceArgs, conformanceMain } from "./cli.ts";
export { figureOf, renderFigures, replaceFigures, FIGURES_START, FIGURES_END, type KitFigure } from "./figures.ts";
export { checkClaims, type ClaimRecord } from "./check-claims.ts";
export { claimCorpus, type CorpusGraph } from "./claim-corpus.ts";
export { graphView, node, reshaped, runClaim, type GraphTensor } from "./graph-view.ts";
