import { contiguousStrides, FUSIBLE_OPS, isContiguous, type Attrs, type DType } from "@polychip/hal";
import { refKey, type StepProgram, type ValueRef } from "./program.ts";
import { epilogueOf, MAX_EPILOGUE_OPERANDS } from "../graph/fusion/epilogue.ts";
import { groupNodes, type FusionGroup, type GroupingNode } from "../graph/fusion/group.ts";
import { orderUnits } from "../graph/fusion/order.ts";
import { fusedProgram } from "../graph/fusion/program.ts";
import { liveNodes, type FusedStep, type PlanStep } from "./plan.ts";

/** Whether `device` runs epilogue `op` (conv2dEpilogue, matmulEpilogue) natively for `dtype`: only then is a GEMM fused with what follows. */
export type EpilogueSupport = (op: string, device: string, dtype: DType) => boolean;

export interface FuseOptions {
  /** Fuse GEMM epilogues where this says the device has a kernel for them (default: never). */
  readonly epilogues?: EpilogueSupport;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Groups chains of elementwise ops into `fused` steps (the HAL op of that name: one kernel per
 * group on a device that has one, the same ops one by one on a device that does not), and, where
 * the device runs GEMM epilogues natively, a GEMM (conv2d, matmul, conv2dGradInput) with the
 * elementwise ops that follow it into one epilogue step (conv2dEpilogue, ...).
 *
 * The grouping is the graph passes' (graph/fusion/group.ts), with every group run where its last
 * member was recorded: nodes are keyed by shape and device, an input read through a view other
 * than its plain layout stays out of registers, and a group stops growing once a node outside it
 * read its values. Values that a `copyInto` writes are never fused: their contents change between
 * reads. A GEMM result read outside its group (a pre-activation the backward pass needs) is simply
 * one more output of the epilogue.
 */
export function fusedSteps(program: StepProgram, options: FuseOptions = {}): PlanStep[] {
  const live = liveNodes(program);
  const nodes = groupingNodes(program, live, options);
  const groups = groupNodes(nodes, { placement: "in-order" });
  const readers = new Map<number, number[]>();
  program.nodes.forEach((n, i) => {
    if (live[i]) for (const r of [...n.inputs, ...(n.write ? [n.write] : [])]) readers.set(r.value, [...(readers.get(r.value) ?? []), i]);
  });
  const outputs = new Set(program.outputs);
  return orderUnits(nodes, groups, "in-order").flatMap((u): PlanStep[] => {
    if (typeof u === "number") return live[u] ? [{ kind: "node", node: u }] : [];
    if (u.epilogue) return epilogueSteps(program, u, readers, outputs);
    const step = fusedStep(program, u.members, readers, outputs);
    return step.outputs.length > 0 ? [step] : [];
  });
}

/** The recorded nodes as the grouper sees them: live, unwritten elementwise ops keyed by shape and device; GEMMs that may head an epilogue. */
function groupingNodes(program: StepProgram, live: readonly boolean[], options: FuseOptions): GroupingNode[] {
  const written = new Set(program.nodes.flatMap((n) => (n.write ? [n.write.value] : [])));
  return program.nodes.map((n, i) => {
    if (!live[i]) return { inputs: [], outputs: [] };
    const value = n.outputs.length === 1 ? program.values[n.outputs[0]!] : undefined;
    const shape = value?.shape;
    const clean = !n.write && shape !== undefined && !n.inputs.some((r) => written.has(r.value));
    const epilogue = clean ? epilogueOf(n.op, value!.dtype, options.epilogues && ((op, dtype) => options.epilogues!(op, n.device, dtype))) : undefined;
    const key = clean && (epilogue || FUSIBLE_OPS.has(n.op)) ? `${n.device}:${shape}` : undefined;
    const inputs = [...n.inputs, ...(n.write ? [n.write] : [])].map((r) => ({ value: r.value, plain: shape !== undefined && plain(r, shape) }));
    return { key, epilogue, inputs, outputs: n.outputs };
  });
}

/** The input read exactly as stored, with the group's shape: its value can stay in registers. */
function plain(r: ValueRef, shape: readonly number[]): boolean {
  return r.offset === 0 && sameShape(r.shape, shape) && isContiguous(r.shape, r.strides);
}

/** The `fused` step of `members`; with `head`, that value (a GEMM's result) is input 0 and an output when read outside. */
function fusedStep(
  program: StepProgram,
  members: readonly number[],
  readers: ReadonlyMap<number, number[]>,
  programOutputs: ReadonlySet<number>,
  head?: number,
): FusedStep {
  const inGroup = new Set(members);
  const nodes = members.map((m) => program.nodes[m]!);
  const shape = program.values[nodes[0]!.outputs[0]!]!.shape!;
  const memberOf = new Map(nodes.map((n, k) => [n.outputs[0]!, k]));
  const readOutside = (v: number) => programOutputs.has(v) || (readers.get(v) ?? []).some((i) => !inGroup.has(i));
  // Members read the head plainly (the join rule), however the view spells its strides.
  const headValue = head === undefined ? undefined : program.values[head]!;
  const lead = headValue && {
    input: { value: head!, dtype: headValue.dtype, shape: headValue.shape!, strides: contiguousStrides(headValue.shape!), offset: 0 },
    needed: readOutside(head!),
  };
  const built = fusedProgram<ValueRef>({
    members: nodes.map((n) => ({ op: n.op, reads: n.inputs, to: n.attrs.to })),
    memberOf: (r) => (plain(r, shape) ? memberOf.get(r.value) : undefined),
    key: (r) => (r.value === head ? "head" : refKey(r)),
    needed: (k) => readOutside(nodes[k]!.outputs[0]!),
    lead,
  });
  const outputs = built.results.map((k) => (k < 0 ? head! : nodes[k]!.outputs[0]!));
  const attrs: Attrs = built.attrs;
  return { kind: "fused", op: "fused", nodes: members, inputs: built.inputs, outputs, attrs, device: nodes[0]!.device };
}

/**
 * The step of a group headed by a GEMM: the GEMM's inputs and attrs, then a program over [its
 * result, the other members' inputs...] (as in fusedStep, with the result as value 0). Broadcast
 * operands (a bias read as [N, C] with stride 0) are passed unbroadcast, so a device that wants
 * contiguous inputs need not copy them.
 */
function epilogueStep(program: StepProgram, g: FusionGroup, readers: ReadonlyMap<number, number[]>, programOutputs: ReadonlySet<number>): FusedStep {
  const gemm = program.nodes[g.head!]!;
  const shape = program.values[gemm.outputs[0]!]!.shape!;
  const inner = fusedStep(program, tailOf(g), readers, programOutputs, gemm.outputs[0]);
  const extras = inner.inputs.slice(1).map((r) => unbroadcast(r, shape));
  const attrs: Attrs = { ...gemm.attrs, ...inner.attrs, baseInputs: gemm.inputs.length };
  return { kind: "fused", op: g.epilogue!, nodes: g.members, inputs: [...gemm.inputs, ...extras], outputs: inner.outputs, attrs, device: gemm.device };
}

const tailOf = (g: FusionGroup) => g.members.filter((m) => m !== g.head);

/**
 * The epilogue step, or, when it would take more than MAX_EPILOGUE_OPERANDS operands (an optimiser
 * update after a weight gradient), the GEMM as a node and the rest as a `fused` step that may then
 * run in place, both where the group's last member was.
 */
function epilogueSteps(program: StepProgram, g: FusionGroup, readers: ReadonlyMap<number, number[]>, programOutputs: ReadonlySet<number>): PlanStep[] {
  const step = epilogueStep(program, g, readers, programOutputs);
  if (step.inputs.length + step.outputs.length <= MAX_EPILOGUE_OPERANDS) return [step];
  const tail = tailOf(g);
  const head: PlanStep = { kind: "node", node: g.head! };
  if (tail.length === 1) return [head, { kind: "node", node: tail[0]! }];
  const rest = fusedStep(program, tail, readers, programOutputs);
  return rest.outputs.length > 0 ? [head, rest] : [head];
}

/** A view read with stride-0 (broadcast) dims as the same memory with those dims of size 1, when that is contiguous. */
function unbroadcast(r: ValueRef, shape: readonly number[]): ValueRef {
  if (!r.strides.some((st, d) => st === 0 && r.shape[d] !== 1) || r.shape.length !== shape.length) return r;
  const own = r.shape.map((d, i) => (r.strides[i] === 0 ? 1 : d));
  const strides = contiguousStrides(own);
  const same = own.every((d, i) => d === 1 || strides[i] === r.strides[i]);
  return same ? { ...r, shape: own, strides } : r;
}
