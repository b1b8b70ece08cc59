import { isContiguous, type DType } from "@polychip/hal";
import type { StepNode, StepProgram, ValueRef } from "./program.ts";

/** Whether `device` has its own kernel for `op` at `dtype` (elsewhere the rewrite would only run the same two ops). */
export type KernelSupport = (op: string, device: string, dtype: DType) => boolean;

/**
 * Two rewrites around relu that only a whole step can see:
 *
 * - A relu's gradient reads the relu's input x as the mask `greater(x, c)` (c = 0). For any c >= 0,
 *   x > c exactly when relu(x) > c (NaN is greater than nothing either way), so a mask recorded
 *   after the relu reads its output instead, and x need not stay alive until the backward pass
 *   (nor be written out by a fused `add, relu` that only the mask kept it in).
 * - A training batch norm whose output only a relu then reads runs as one `batchNormTrainingRelu`,
 *   which writes the relu'd activation directly: the pre-relu activation is never stored, and one
 *   pass over it (and one launch) goes. Only where the device has a kernel for it.
 *
 * A value that a tensor still holds or that is written in place keeps its readers. Node numbers do
 * not change (a folded relu stays as a node without outputs, which the plan drops), so a replay's
 * per-node attributes still apply. Returns `program` itself when nothing was rewritten.
 */
export function foldRelu(program: StepProgram, supports: KernelSupport): StepProgram {
  const producer = new Map<number, number>();
  const written = new Set<number>();
  const readers = new Map<number, Set<number>>();
  const readersOf = (v: number) => {
    if (!readers.has(v)) readers.set(v, new Set());
    return readers.get(v)!;
  };
  program.nodes.forEach((n, i) => {
    for (const v of n.outputs) producer.set(v, i);
    if (n.write) written.add(n.write.value);
    for (const r of n.write ? [...n.inputs, n.write] : n.inputs) readersOf(r.value).add(i);
  });
  const nodes = [...program.nodes];
  let changed = false;
  const reluReading = new Map<number, number>();
  nodes.forEach((relu, at) => {
    if (relu.op !== "relu" || relu.outputs.length !== 1) return;
    const x = relu.inputs[0]!.value;
    const r = relu.outputs[0]!;
    const shape = program.values[x]!.shape;
    if (!shape || written.has(x) || written.has(r) || !plain(relu.inputs[0]!, shape) || program.values[r]!.dtype !== program.values[x]!.dtype) return;
    reluReading.set(x, at);
    for (const k of readersOf(x)) {
      if (k <= at || !isNonNegativeMask(program, nodes[k]!, x, producer, written)) continue;
      nodes[k] = { ...nodes[k]!, inputs: nodes[k]!.inputs.map((ref) => (ref.value === x ? { ...ref, value: r } : ref)) };
      readersOf(x).delete(k);
      readersOf(r).add(k);
      changed = true;
    }
  });
  const held = new Set(program.outputs);
  nodes.forEach((bn, i) => {
    if (bn.op !== "batchNormTraining") return;
    const y = bn.outputs[0]!;
    const reluAt = reluReading.get(y);
    if (reluAt === undefined || held.has(y) || readersOf(y).size !== 1) return;
    const relu = nodes[reluAt]!;
    if (relu.device !== bn.device || !supports("batchNormTrainingRelu", bn.device, program.values[y]!.dtype)) return;
    nodes[i] = { ...bn, op: "batchNormTrainingRelu", outputs: [relu.outputs[0]!, ...bn.outputs.slice(1)] };
    nodes[reluAt] = { ...relu, outputs: [] };
    changed = true;
  });
  return changed ? { ...program, nodes } : program;
}

/** `greater(y, c)` with c a recorded fill of a value >= 0 that nothing writes over. */
function isNonNegativeMask(program: StepProgram, n: StepNode, y: number, producer: ReadonlyMap<number, number>, written: ReadonlySet<number>): boolean {
  if (n.op !== "greater" || n.write || n.inputs.length !== 2 || n.inputs[0]!.value !== y || n.inputs[1]!.value === y) return false;
  const c = n.inputs[1]!.value;
  const fill = producer.get(c);
  if (fill === undefined || written.has(c)) return false;
  const f = program.nodes[fill]!;
  return f.op === "fill" && typeof f.attrs.value === "number" && f.attrs.value >= 0;
}

/** Read whole and in order: offset 0, `shape`, contiguous strides. */
function plain(r: ValueRef, shape: readonly number[]): boolean {
  return r.offset === 0 && r.shape.length === shape.length && r.shape.every((d, i) => d === shape[i]) && isContiguous(r.shape, r.strides);
}
