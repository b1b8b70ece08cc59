import { dtypeBytes, OutOfMemoryError } from "@polychip/hal";
import type { GraphNode } from "@polychip/engine/runtime";
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

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${units[u]} (${bytes} bytes)`;
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
 * its last reader (as the runtime does), exceeds the plan budget. Initializers count throughout.
 */
export function checkPlanBudget(
  nodes: readonly GraphNode[],
  metaOf: (name: string) => ValueMeta | undefined,
  initializerBytes: number,
  outputs: readonly string[],
  budget: MemoryBudget = {},
): void {
  const limit = budget.planBytes ?? DEFAULT_PLAN_BYTES;
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => n.inputs.forEach((name) => name && lastUse.set(name, i)));
  for (const o of outputs) lastUse.set(o, nodes.length);
  let live = initializerBytes;
  const sizes = new Map<string, number>();
  for (const [i, node] of nodes.entries()) {
    for (const out of node.outputs) {
      const meta = metaOf(out);
      const bytes = meta ? (plannedBytes(meta) ?? 0) : 0;
      sizes.set(out, bytes);
      live += bytes;
    }
    if (live > limit) {
      throw new OutOfMemoryError(
        `ONNX node '${node.name ?? node.op}' (${node.op}): the graph would hold ${formatBytes(live)} at once here, over the ${formatBytes(limit)} plan budget (ImportOptions.memoryBudget.planBytes)`,
      );
    }
    for (const name of new Set([...node.inputs, ...node.outputs])) {
      if ((lastUse.get(name) ?? -1) <= i && sizes.has(name)) {
        live -= sizes.get(name)!;
        sizes.delete(name);
      }
    }
  }
}
