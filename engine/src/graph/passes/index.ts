import type { Graph } from "../ir.ts";
import { constantFolding, type GraphEvaluator } from "./constant-folding.ts";
import { algebraicSimplify } from "./algebraic-simplify.ts";
import { commonSubexpressionElimination } from "./cse.ts";
import { deadCodeElimination } from "./dead-code.ts";
import { foldBatchNorm } from "./fold-batch-norm.ts";
import { fuseElementwise } from "./fuse-elementwise.ts";
import { expandFused } from "./expand-fused.ts";
import { fuseEpilogues, type FuseEpiloguesOptions } from "./fuse-epilogues.ts";
import { fuseLayerNorm } from "./fuse-layer-norm.ts";
import { channelsLast, type ChannelsLastOptions } from "./channels-last.ts";
import { scalarsBeforeViews } from "./scalars-before-views.ts";

export { constantFolding, type ConstantFoldingOptions, type GraphEvaluator } from "./constant-folding.ts";
export { commonSubexpressionElimination } from "./cse.ts";
export { algebraicSimplify } from "./algebraic-simplify.ts";
export { deadCodeElimination } from "./dead-code.ts";
export { foldBatchNorm } from "./fold-batch-norm.ts";
export { fuseElementwise, type FuseElementwiseOptions } from "./fuse-elementwise.ts";
export { expandFused } from "./expand-fused.ts";
export { fuseEpilogues, type FuseEpiloguesOptions } from "./fuse-epilogues.ts";
export { fuseLayerNorm } from "./fuse-layer-norm.ts";
export { channelsLast, type ChannelsLastOptions } from "./channels-last.ts";
export { cancelTransposes } from "./cancel-transposes.ts";
export { scalarsBeforeViews } from "./scalars-before-views.ts";

/** "fuse-elementwise" is not in DEFAULT_PASSES: a compile pipeline asks for it (after CSE, so identical chains are merged first). */
export type PassName = "constant-folding" | "algebraic-simplify" | "fold-batch-norm" | "cse" | "dce" | "fuse-elementwise";

/** The inference pipeline, in the order each pass feeds the next: constants first, so batch-norm parameters computed from them fold too. */
export const DEFAULT_PASSES: readonly PassName[] = ["constant-folding", "algebraic-simplify", "fold-batch-norm", "cse", "dce"];

/** Runs `passes`; constant folding evaluates with `evaluate` (the engine's `optimize` passes a CPU session). */
export async function optimizeWith(graph: Graph, evaluate: GraphEvaluator, passes: readonly PassName[] = DEFAULT_PASSES): Promise<Graph> {
  let g = graph;
  for (const pass of passes) {
    if (pass === "constant-folding") g = await constantFolding(g, { evaluate });
    else if (pass === "algebraic-simplify") g = algebraicSimplify(g);
    else if (pass === "fold-batch-norm") g = foldBatchNorm(g);
    else if (pass === "cse") g = commonSubexpressionElimination(g);
    else if (pass === "fuse-elementwise") g = fuseElementwise(g);
    else g = deadCodeElimination(g);
  }
  return g;
}

export interface LoadTimeOptions extends FuseEpiloguesOptions, Partial<ChannelsLastOptions> {}

/**
 * What a session does to a graph on load, and what `polychip compile` reports: a batch norm reading
 * a conv folds into its weights (an imported ONNX model keeps them apart), a scale or offset of a
 * transposed or reshaped value moves before the view (into its producer's chain), convs the device prefers
 * channels-last (`convLayout`, from DevicePlugin.preferredConvLayout) run so with their chains,
 * a layer norm written out op by op becomes one layerNorm node where the device has its kernel,
 * elementwise chains become `fused` nodes, and GEMM epilogues fold in where the device has their
 * kernels (`supports`).
 */
export function loadTimePasses(graph: Graph, options: LoadTimeOptions): Graph {
  const folded = scalarsBeforeViews(foldBatchNorm(graph));
  const convLayout = options.convLayout;
  const laidOut = convLayout ? channelsLast(expandFused(folded), { convLayout }) : expandFused(folded);
  return fuseEpilogues(fuseLayerNorm(laidOut, options.supports), options);
}
