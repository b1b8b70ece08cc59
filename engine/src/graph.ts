/**
 * @polychip/engine/graph — the graph IR and its passes, with `trace` (eager code → graph) and
 * `optimize` bound to the runtime's CPU evaluator for constant folding.
 */
import type { Graph } from "./graph/ir.ts";
import { optimizeWith, type PassName } from "./graph/passes/index.ts";
import { evaluateOnCpu } from "./runtime/evaluate.ts";

export * from "./graph/index.ts";
export { trace, type TraceOptions, type Traceable } from "./trace/trace.ts";
export { differentiate, type DifferentiateOptions } from "./trace/differentiate.ts";
export { evaluateOnCpu } from "./runtime/evaluate.ts";

/** The inference passes (constant folding evaluates on the CPU device). */
export function optimize(graph: Graph, passes?: readonly PassName[]): Promise<Graph> {
  return optimizeWith(graph, evaluateOnCpu, passes);
}
