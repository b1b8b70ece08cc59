import { dtypeBytes, OutOfMemoryError } from "@polychip/hal";
import { formatBytes, planPeak, type GraphNode } from "@polychip/engine/runtime";
import { formatDims, sizeOfDims, type ValueMeta } from "../host/meta.ts";

/** Limits on what an imported graph may plan to allocate, checked before anything is allocated. */
export interface MemoryBudget {
  /** Largest single tensor, in bytes. Default 1 GiB. */
  readonly tensorBytes?: number;
  /** Largest sum of tensors alive at once while the graph runs in order, in bytes. Default 4 GiB. */
  readonly planBytes?: number;
}

const GiB = 2 ** 30;
export const DEFAULT_TENSOR_BYTES = GiB;
export const DEFAULT_PLAN_BYTES = 4 * GiB;

/** Bytes of a value with a static shape; undefined while a dim is symbolic (checked once bound). */
export function plannedBytes(meta: ValueMeta): number | undefined {
  const n = sizeOfDims(meta.shape);
  return n === undefined ? undefined : n * dtypeBytes(meta.dtype);
}

/** Refuses one planned tensor beyond the budget; `where` names the ONNX node. */
export function checkTensorBudget(where: string, name: string, meta: ValueMeta, budget: MemoryBudget = {}): void {
  const bytes = plannedBytes(meta);
  const limit = budget.tensorBytes ?? DEFAULT_TENSOR_BYTES;
  if (bytes !== undefined && bytes > limit) {
    throw new OutOfMemoryError(
      `${where}: output '${name}' would be ${meta.dtype}${formatDims(meta.shape)} = ${formatBytes(bytes)}, over the ${formatBytes(limit)} budget for one tensor (ImportOptions.memoryBudget.tensorBytes)`,
    );
  }
}

/**
 * Refuses a graph whose peak memory, running the nodes in order and freeing each value after
 * its last reader (the engine's planPeak, as the runtime does), exceeds the plan budget.
 * Initializers count throughout.
 */
export function checkPlanBudget(
  nodes: readonly GraphNode[],
  metaOf: (name: string) => ValueMeta | undefined,
  initializerBytes: number,
  outputs: readonly string[],
  budget: MemoryBudget = {},
): void {
  const limit = budget.planBytes ?? DEFAULT_PLAN_BYTES;
  const bytesOf = (name: string) => {
    const meta = metaOf(name);
    return meta ? plannedBytes(meta) : undefined;
  };
  const peak = planPeak(nodes, bytesOf, initializerBytes, outputs);
  if (peak.bytes > limit) {
    const node = nodes[peak.node];
    const where = node ? `ONNX node '${node.name ?? node.op}' (${node.op})` : "its initializers";
    throw new OutOfMemoryError(
      `${where}: the graph would hold ${formatBytes(peak.bytes)} at once here, over the ${formatBytes(limit)} plan budget (ImportOptions.memoryBudget.planBytes)`,
    );
  }
}
