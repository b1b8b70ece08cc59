import type { Graph } from "../ir.ts";
import { constantFolding } from "./constant-folding.ts";
import { commonSubexpressionElimination } from "./cse.ts";
import { deadCodeElimination } from "./dead-code.ts";
import { foldBatchNorm } from "./fold-batch-norm.ts";

export { constantFolding, type ConstantFoldingOptions } from "./constant-folding.ts";
export { commonSubexpressionElimination } from "./cse.ts";
export { deadCodeElimination } from "./dead-code.ts";
export { foldBatchNorm } from "./fold-batch-norm.ts";

export type PassName = "constant-folding" | "fold-batch-norm" | "cse" | "dce";

/** The inference pipeline, in the order each pass feeds the next: constants first, so batch-norm parameters computed from them fold too. */
export const DEFAULT_PASSES: readonly PassName[] = ["constant-folding", "fold-batch-norm", "cse", "dce"];

export async function optimize(graph: Graph, passes: readonly PassName[] = DEFAULT_PASSES): Promise<Graph> {
  let g = graph;
  for (const pass of passes) {
    if (pass === "constant-folding") g = await constantFolding(g);
    else if (pass === "fold-batch-norm") g = foldBatchNorm(g);
    else if (pass === "cse") g = commonSubexpressionElimination(g);
    else g = deadCodeElimination(g);
  }
  return g;
}
