import { isContiguous } from "@polychip/hal";
import { refKey, type StepNode, type StepProgram, type ValueRef } from "./program.ts";
import type { KernelSupport } from "./relu-folding.ts";

/**
 * The backward half of a folded batch norm + relu (relu-folding.ts): the relu's gradient
 * `mul(g, cast(greater(r, 0)))` feeding the batch norm's `batchNormTrainingGrad`, where r is a
 * `batchNormTrainingRelu` output, runs as one `batchNormTrainingReluGrad(g, x, scale, bias, mean,
 * variance)`, which recomputes the mask from x with the forward's own statistics instead of
 * reading r and writing the masked gradient (the cast and the product go, and with them, on the
 * cpu, the extra pass a conv2dGradInput epilogue made for them). Only where the device has that
 * kernel, for a threshold of exactly 0, and when nothing else reads the mask or the masked
 * gradient. Node numbers do not change (the folded nodes stay without outputs). Returns `program`
 * itself when nothing was rewritten.
 */
export function foldReluGradient(program: StepProgram, supports: KernelSupport): StepProgram {
  const producer = new Map<number, number>();
  const readers = new Map<number, number>();
  const written = new Set<number>();
  program.nodes.forEach((n, i) => {
    for (const v of n.outputs) producer.set(v, i);
    for (const r of n.write ? [...n.inputs, n.write] : n.inputs) readers.set(r.value, (readers.get(r.value) ?? 0) + 1);
    if (n.write) written.add(n.write.value);
  });
  const held = new Set(program.outputs);
  /** The node making `r`'s value when this ref is its only read, whole and in order, and nothing else keeps or writes it. */
  const soleMaker = (r: ValueRef, op: string): StepNode | undefined => {
    const at = producer.get(r.value);
    const n = at === undefined ? undefined : program.nodes[at]!;
    const value = program.values[r.value]!;
    if (!n || n.op !== op || held.has(r.value) || written.has(r.value) || readers.get(r.value) !== 1 || !wholeRead(r, value.shape)) return undefined;
    return n;
  };
  const folded = new Set<number>();
  let nodes: StepNode[] | undefined;
  program.nodes.forEach((grad, i) => {
    if (grad.op !== "batchNormTrainingGrad") return;
    const [masked, x, weight, mean, variance] = grad.inputs as [ValueRef, ValueRef, ValueRef, ValueRef, ValueRef];
    const product = soleMaker(masked, "mul");
    const cast = product && soleMaker(product.inputs[1]!, "cast");
    const mask = cast && soleMaker(cast.inputs[0]!, "greater");
    if (!product || !cast || !mask || cast.attrs.to !== masked.dtype) return;
    const [r, threshold] = mask.inputs as [ValueRef, ValueRef];
    const forwardAt = producer.get(r.value);
    const forward = forwardAt === undefined ? undefined : program.nodes[forwardAt]!;
    if (!forward || forward.op !== "batchNormTrainingRelu" || forward.outputs[0] !== r.value || !wholeRead(r, program.values[r.value]!.shape)) return;
    if (!isZeroFill(program, threshold, producer, written) || !sameRef(product.inputs[0]!, masked)) return;
    const [fx, fweight, fbias] = forward.inputs as [ValueRef, ValueRef, ValueRef];
    const sameForward =
      refKey(fx) === refKey(x) &&
      refKey(fweight) === refKey(weight) &&
      mean.value === forward.outputs[1] &&
      variance.value === forward.outputs[2] &&
      forward.attrs.epsilon === grad.attrs.epsilon &&
      !written.has(fbias.value);
    if (!sameForward || !supports("batchNormTrainingReluGrad", grad.device, masked.dtype)) return;
    nodes ??= [...program.nodes];
    nodes[i] = { ...grad, op: "batchNormTrainingReluGrad", inputs: [product.inputs[0]!, x, weight, fbias, mean, variance] };
    for (const n of [product, cast, mask]) folded.add(program.nodes.indexOf(n));
  });
  if (!nodes) return program;
  for (const k of folded) nodes[k] = { ...nodes[k]!, outputs: [] };
  return { ...program, nodes };
}

/** Offset 0, the value's own shape, contiguous. */
function wholeRead(r: ValueRef, shape: readonly number[] | undefined): boolean {
  return (
    shape !== undefined && r.offset === 0 && r.shape.length === shape.length && r.shape.every((d, i) => d === shape[i]) && isContiguous(r.shape, r.strides)
  );
}

/** The gradient the product reads has the masked gradient's shape (no broadcast in the product). */
function sameRef(g: ValueRef, masked: ValueRef): boolean {
  return g.dtype === masked.dtype && g.shape.length === masked.shape.length && g.shape.every((d, i) => d === masked.shape[i]);
}

/** A recorded fill of exactly 0 (either sign) that nothing writes over. */
function isZeroFill(program: StepProgram, r: ValueRef, producer: ReadonlyMap<number, number>, written: ReadonlySet<number>): boolean {
  const at = producer.get(r.value);
  const f = at === undefined ? undefined : program.nodes[at]!;
  return f !== undefined && f.op === "fill" && f.attrs.value === 0 && !written.has(r.value);
}
