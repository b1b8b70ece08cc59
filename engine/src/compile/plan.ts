import type { Attrs } from "@polychip/hal";
import type { StepProgram, ValueRef } from "./program.ts";

/** One launch of a plan: a recorded node, or several nodes run as one `fused` (or GEMM epilogue) op. */
export type PlanStep = { readonly kind: "node"; readonly node: number } | FusedStep;

export interface FusedStep {
  readonly kind: "fused";
  /** `fused`, or a GEMM epilogue (conv2dEpilogue, matmulEpilogue) whose first inputs are the GEMM's. */
  readonly op: string;
  readonly nodes: readonly number[];
  readonly inputs: readonly ValueRef[];
  readonly outputs: readonly number[];
  readonly attrs: Attrs;
  readonly device: string;
}

export interface Plan {
  readonly steps: readonly PlanStep[];
  /** Op results whose last reader is step i: freed right after it. */
  readonly releaseAfter: readonly (readonly number[])[];
  readonly outputs: readonly number[];
  /** The last step reading each value: a fused step may write its result over an input it reads last. */
  readonly lastReader: ReadonlyMap<number, number>;
  /** Bytes of op results alive at once at the worst point of the plan (external storages not counted). */
  readonly peakBytes: number;
  /** Recorded ops (before fusion) and launches (after). */
  readonly opsRecorded: number;
  readonly launches: number;
}

function stepReads(program: StepProgram, step: PlanStep): number[] {
  if (step.kind === "fused") return step.inputs.map((r) => r.value);
  const n = program.nodes[step.node]!;
  return [...n.inputs.map((r) => r.value), ...(n.write ? [n.write.value] : [])];
}

function stepWrites(program: StepProgram, step: PlanStep): readonly number[] {
  return step.kind === "fused" ? step.outputs : program.nodes[step.node]!.outputs;
}

/** Liveness over the steps: each op result is freed after its last reader, and the peak is what stays alive together. */
export function planMemory(program: StepProgram, steps: readonly PlanStep[]): Plan {
  const keep = new Set(program.outputs);
  const lastUse = new Map<number, number>();
  const lastReader = new Map<number, number>();
  steps.forEach((step, i) => {
    for (const v of stepWrites(program, step)) lastUse.set(v, i);
    for (const v of stepReads(program, step)) {
      lastUse.set(v, i);
      lastReader.set(v, i);
    }
  });
  const releaseAfter: number[][] = steps.map(() => []);
  for (const [v, i] of lastUse) if (!program.values[v]!.external && !keep.has(v)) releaseAfter[i]!.push(v);
  let live = 0;
  let peakBytes = 0;
  steps.forEach((step, i) => {
    for (const v of stepWrites(program, step)) live += program.values[v]!.bytes;
    peakBytes = Math.max(peakBytes, live);
    for (const v of releaseAfter[i]!) live -= program.values[v]!.bytes;
  });
  const launches = steps.length;
  return { steps, releaseAfter, outputs: program.outputs, lastReader, peakBytes, opsRecorded: program.nodes.length, launches };
}

/** The unfused plan: one step per recorded node whose result someone reads. */
export function eagerSteps(program: StepProgram): PlanStep[] {
  const live = liveNodes(program);
  return program.nodes.flatMap((_, node) => (live[node] ? [{ kind: "node" as const, node }] : []));
}

/**
 * Nodes worth running: writes, and ops whose results a later live node reads or a tensor still
 * holds. HAL ops have no side effects, so a result nobody reads need not be computed.
 */
export function liveNodes(program: StepProgram): boolean[] {
  const needed = new Set(program.outputs);
  const live = program.nodes.map(() => false);
  for (let i = program.nodes.length - 1; i >= 0; i--) {
    const n = program.nodes[i]!;
    if (!n.write && !n.outputs.some((v) => needed.has(v))) continue;
    live[i] = true;
    for (const r of n.inputs) needed.add(r.value);
    if (n.write) needed.add(n.write.value);
  }
  return live;
}
