/**
 * Where a plan's values live. A value a kernel writes that the caller never sees (no graph output
 * is it or a view of it) gets a buffer the plan keeps across runs; values whose lifetimes do not
 * overlap share a buffer of the same byte size (a kernel output covers its whole buffer, so a
 * reused buffer needs no clearing, as with any reused device memory). Views of kept buffers and of
 * held initializers are fixed too: a run neither makes nor frees them.
 */

/** What the memory plan needs to know of one step. */
export interface StepValues {
  readonly kind: "kernel" | "op" | "view" | "structural";
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Bytes of each output (kernel steps). */
  readonly outputBytes?: readonly number[];
}

export interface MemoryPlan {
  /** Per slot: the buffer (index into `buffers`) it lives in, when the plan keeps it. */
  readonly bufferOf: ReadonlyMap<number, number>;
  /** Byte size of each kept buffer. */
  readonly buffers: readonly number[];
  /** Slots whose view is the same every run: held values, kept buffers, and views of either. */
  readonly fixed: ReadonlySet<number>;
  /** Per slot whose view is fixed: the slot whose storage it sees (itself for a buffer or held value). */
  readonly rootOf: ReadonlyMap<number, number>;
}

/**
 * Assigns buffers to kernel outputs by liveness. `lastRead[slot]` is the last step that reads a
 * slot; `held` slots are the session's; `outputs` are the graph's (fresh each run: the caller owns them).
 * `hostInputs` (slot → bytes) are inputs given as host data: a kept buffer receives them (written
 * before the first step), unless an output is a view of them (and outputs are not `hostOutputs`).
 * `hostOutputs`: the caller reads the outputs back before the next run, so they may be kept too,
 * busy to the end of the run.
 */
export function planMemory(
  steps: readonly StepValues[],
  held: ReadonlySet<number>,
  outputs: readonly number[],
  lastRead: readonly (number | undefined)[],
  hostInputs: ReadonlyMap<number, number> = new Map(),
  hostOutputs = false,
): MemoryPlan {
  const rootOf = new Map<number, number>();
  for (const slot of held) rootOf.set(slot, slot);
  const made = new Map<number, number>(); // kernel output slot → its step (-1: a host input, written before the first)
  for (const slot of hostInputs.keys()) {
    rootOf.set(slot, slot);
    made.set(slot, -1);
  }
  steps.forEach((step, i) => {
    const outs = step.outputs.filter((slot) => slot >= 0); // -1: an output the node discards
    if (step.kind === "view") {
      const root = rootOf.get(step.inputs[0]!) ?? step.inputs[0]!;
      for (const out of outs) rootOf.set(out, root);
    } else {
      for (const out of outs) rootOf.set(out, out);
      if (step.kind === "kernel") for (const out of outs) made.set(out, i);
    }
  });
  const seen = new Set(outputs.map((slot) => rootOf.get(slot) ?? slot));
  const kept = (root: number) => made.has(root) && (hostOutputs || !seen.has(root));
  // A kept buffer is busy from the step that writes it to the last read of it or of any view of it.
  const end = new Map<number, number>();
  for (const [slot, root] of rootOf) {
    if (!kept(root)) continue;
    const last = Math.max(made.get(root)!, lastRead[slot] ?? -1);
    end.set(root, Math.max(end.get(root) ?? -1, last));
  }
  // An output the caller reads back holds its buffer to the end of the run.
  if (hostOutputs) for (const root of seen) if (kept(root)) end.set(root, steps.length - 1);
  const freeAfter: number[][] = steps.map(() => []);
  for (const [root, i] of end) if (i >= 0) freeAfter[i]!.push(root); // an input no step reads keeps its buffer
  const buffers: number[] = [];
  const bufferOf = new Map<number, number>();
  const free = new Map<number, number[]>(); // bytes → buffers not in use
  for (const [slot, bytes] of hostInputs) if (kept(slot)) bufferOf.set(slot, buffers.push(bytes) - 1);
  steps.forEach((step, i) => {
    step.outputs.forEach((slot, k) => {
      if (slot < 0 || !kept(slot)) return;
      const bytes = step.outputBytes![k]!;
      const buffer = free.get(bytes)?.pop() ?? buffers.push(bytes) - 1;
      bufferOf.set(slot, buffer);
    });
    for (const root of freeAfter[i]!) {
      const bytes = buffers[bufferOf.get(root)!]!;
      const list = free.get(bytes) ?? [];
      list.push(bufferOf.get(root)!);
      free.set(bytes, list);
    }
  });
  const fixed = new Set<number>();
  for (const [slot, root] of rootOf) if (held.has(root) || bufferOf.has(root)) fixed.add(slot);
  return { bufferOf, buffers, fixed, rootOf };
}

/** The same plan with no kept buffers (the budget cannot hold them beside what the session holds). */
export function withoutBuffers(plan: MemoryPlan, held: ReadonlySet<number>): MemoryPlan {
  const fixed = new Set<number>();
  for (const [slot, root] of plan.rootOf) if (held.has(root)) fixed.add(slot);
  return { bufferOf: new Map(), buffers: [], fixed, rootOf: plan.rootOf };
}
