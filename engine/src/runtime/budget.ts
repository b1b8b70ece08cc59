import { dtypeBytes, formatShape, OutOfMemoryError, sizeOf, type DeviceLimits, type DType, type Shape } from "@polychip/hal";

/** How much memory a session may plan for: any one tensor, and everything it holds at once. */
export interface MemoryBudget {
  readonly tensorBytes: number;
  readonly totalBytes: number;
}

/** Half the machine's memory where the host says (Node: os.totalmem; browsers: navigator.deviceMemory), else 4 GiB. */
function systemBudgetBytes(): number {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => { totalmem?: () => number } | undefined }; navigator?: { deviceMemory?: number } };
  const total = g.process?.getBuiltinModule?.("node:os")?.totalmem?.() ?? (g.navigator?.deviceMemory ? g.navigator.deviceMemory * 2 ** 30 : undefined);
  return total ? total / 2 : 4 * 2 ** 30;
}

/** The default budget: the device's own limits, capped by the host's memory; `override` replaces either part. */
export function memoryBudget(limits: DeviceLimits, override: Partial<MemoryBudget> = {}): MemoryBudget {
  const system = systemBudgetBytes();
  return {
    tensorBytes: override.tensorBytes ?? Math.min(limits.maxBufferBytes, system),
    totalBytes: override.totalBytes ?? Math.min(limits.totalMemoryBytes, system),
  };
}

/** Bytes in words: 4000 bytes, 3.1 GB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1e4) return `${bytes} bytes`;
  const units = ["kB", "MB", "GB", "TB", "PB"];
  let v = bytes / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toPrecision(3)} ${units[u]} (${bytes} bytes)`;
}

export const plannedBytes = (shape: Shape, dtype: DType): number => sizeOf(shape) * dtypeBytes(dtype);

/**
 * Refuses, before anything is allocated, a tensor beyond the per-tensor budget or one that would
 * take the session's live memory beyond the total, naming what it is and how big.
 */
export function checkPlanned(what: string, shape: Shape, dtype: DType, budget: MemoryBudget, liveBytes = 0): void {
  const bytes = plannedBytes(shape, dtype);
  const hint = "raise it with the session's memoryBudget option";
  if (bytes > budget.tensorBytes) {
    throw new OutOfMemoryError(
      `${what} ${dtype}${formatShape(shape)} needs ${formatBytes(bytes)}, over the budget of ${formatBytes(budget.tensorBytes)} for one tensor (${hint})`,
    );
  }
  if (liveBytes + bytes > budget.totalBytes) {
    throw new OutOfMemoryError(
      `${what} ${dtype}${formatShape(shape)} needs ${formatBytes(bytes)} while ${formatBytes(liveBytes)} are held, over the session's total budget of ${formatBytes(budget.totalBytes)} (${hint})`,
    );
  }
}

/**
 * The most bytes a graph holds at once when its nodes run in order and each value is freed after
 * its last reader, as the runtime does; `fixedBytes` (initializers, inputs) count throughout, a
 * value whose size `bytesOf` cannot tell counts 0. Returns the peak and the node that reaches it.
 */
export function planPeak(
  nodes: readonly { readonly inputs: readonly string[]; readonly outputs: readonly string[] }[],
  bytesOf: (name: string) => number | undefined,
  fixedBytes: number,
  outputs: readonly string[],
): { bytes: number; node: number } {
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => n.inputs.forEach((name) => name && lastUse.set(name, i)));
  for (const o of outputs) lastUse.set(o, nodes.length);
  let live = fixedBytes;
  const peak = { bytes: fixedBytes, node: -1 };
  const sizes = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const out of node.outputs) {
      const bytes = bytesOf(out) ?? 0;
      sizes.set(out, bytes);
      live += bytes;
    }
    if (live > peak.bytes) Object.assign(peak, { bytes: live, node: i });
    for (const name of new Set([...node.inputs, ...node.outputs])) {
      if ((lastUse.get(name) ?? -1) <= i && sizes.has(name)) {
        live -= sizes.get(name)!;
        sizes.delete(name);
      }
    }
  });
  return peak;
}
