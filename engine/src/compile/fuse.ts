import { contiguousStrides, EPILOGUE_BASES, FUSIBLE_OPS, isContiguous, type Attrs, type DType } from "@polychip/hal";
import type { StepNode, StepProgram, ValueRef } from "./program.ts";
import { MAX_EPILOGUE_OPERANDS } from "../graph/passes/fuse-epilogues.ts";
import { liveNodes, type FusedStep, type PlanStep } from "./plan.ts";

interface Group {
  readonly members: number[];
  readonly shape: string;
  readonly device: string;
  /** The epilogue op when the group is headed by a GEMM (conv2d, matmul, node `head`) whose result the rest of it reads. */
  readonly epilogue?: string;
  readonly head?: number;
  /** Set once a node outside the group read one of its values: nothing may join after that. */
  closed: boolean;
}

/** Whether `device` runs epilogue `op` (conv2dEpilogue, matmulEpilogue) natively for `dtype`: only then is a GEMM fused with what follows. */
export type EpilogueSupport = (op: string, device: string, dtype: DType) => boolean;

export interface FuseOptions {
  /** Fuse GEMM epilogues where this says the device has a kernel for them (default: never). */
  readonly epilogues?: EpilogueSupport;
}

const EPILOGUE_OF = new Map(Object.entries(EPILOGUE_BASES).map(([op, { base }]) => [base, op]));

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Groups chains of elementwise ops into `fused` steps (the HAL op of that name: one kernel per
 * group on a device that has one, the same ops one by one on a device that does not), and, where
 * the device runs GEMM epilogues natively, a GEMM (conv2d, matmul, conv2dGradInput) with the
 * elementwise ops that follow it into one epilogue step (conv2dEpilogue, ...).
 *
 * A node joins the group of an input's producer when it has the group's shape, reads that input
 * through its plain layout, and no node outside the group has read the group's values yet; the
 * group then runs where its last member was, so every reader outside it still comes later. A
 * GEMM starts a group of its own, which a node prefers to join; other open groups that node reads
 * merge into it (its bias, a relu mask). Values that a `copyInto` writes are never fused: their
 * contents change between reads. A GEMM result read outside its group (a pre-activation the
 * backward pass needs) is simply one more output of the epilogue.
 */
export function fusedSteps(program: StepProgram, options: FuseOptions = {}): PlanStep[] {
  const written = new Set(program.nodes.flatMap((n) => (n.write ? [n.write.value] : [])));
  const groupOf = new Map<number, Group>(); // value id -> the group producing it
  const groupOfNode: (Group | undefined)[] = [];
  const live = liveNodes(program);
  program.nodes.forEach((n, index) => {
    if (!live[index]) return;
    const shape = n.outputs.length === 1 ? program.values[n.outputs[0]!]!.shape : undefined;
    const clean = !n.write && shape !== undefined && !n.inputs.some((r) => written.has(r.value));
    let joined: Group | undefined;
    const epilogue = clean ? epilogueFor(program, n, options) : undefined;
    if (epilogue) joined = { members: [index], shape: String(shape), device: n.device, epilogue, head: index, closed: false };
    else if (clean && FUSIBLE_OPS.has(n.op)) {
      const key = String(shape);
      const open: Group[] = [];
      for (const r of n.inputs) {
        const g = groupOf.get(r.value);
        const readsPlainly = n.inputs.every((other) => groupOf.get(other.value) !== g || plain(other, shape!));
        if (g && !g.closed && g.shape === key && g.device === n.device && readsPlainly && !open.includes(g)) open.push(g);
      }
      const gemm = open.find((g) => g.epilogue);
      joined = gemm ?? open.at(-1) ?? { members: [], shape: key, device: n.device, closed: false };
      if (gemm) for (const g of open) if (g !== gemm && !g.epilogue) absorb(gemm, g, program, groupOf, groupOfNode);
      joined.members.push(index);
    }
    for (const r of n.inputs) {
      const g = groupOf.get(r.value);
      if (g && g !== joined) g.closed = true;
    }
    const target = n.write && groupOf.get(n.write.value);
    if (target) target.closed = true;
    groupOfNode[index] = joined;
    if (joined) for (const v of n.outputs) groupOf.set(v, joined);
  });
  return buildSteps(program, groupOfNode, live);
}

/** The epilogue op a float32 or float16 GEMM node can head on its device, if any (a float16 product rounds to half before the program, as the GEMM would store it). */
function epilogueFor(program: StepProgram, n: StepNode, options: FuseOptions): string | undefined {
  const op = EPILOGUE_OF.get(n.op);
  const dtype = program.values[n.outputs[0]!]!.dtype;
  if (!op || !options.epilogues || (dtype !== "float32" && dtype !== "float16")) return undefined;
  return options.epilogues(op, n.device, dtype) ? op : undefined;
}

/** Moves every member of elementwise group `from` into `into` (both open, so no outside node has read either yet). */
function absorb(into: Group, from: Group, program: StepProgram, groupOf: Map<number, Group>, groupOfNode: (Group | undefined)[]): void {
  for (const m of from.members) {
    groupOfNode[m] = into;
    for (const v of program.nodes[m]!.outputs) groupOf.set(v, into);
  }
  into.members.push(...from.members);
  into.members.sort((a, b) => a - b);
  from.members.length = 0;
}

const refKey = (r: ValueRef) => `${r.value}:${r.dtype}[${r.shape}]/[${r.strides}]+${r.offset}`;

/** The input read exactly as stored, with the group's shape: its value can stay in registers. */
function plain(r: ValueRef, shape: readonly number[]): boolean {
  return r.offset === 0 && sameShape(r.shape, shape) && isContiguous(r.shape, r.strides);
}

function buildSteps(program: StepProgram, groupOfNode: readonly (Group | undefined)[], live: readonly boolean[]): PlanStep[] {
  const lastMember = new Map<Group, number>();
  groupOfNode.forEach((g, i) => g && lastMember.set(g, i));
  const readers = new Map<number, number[]>();
  program.nodes.forEach((n, i) => {
    if (live[i]) for (const r of [...n.inputs, ...(n.write ? [n.write] : [])]) readers.set(r.value, [...(readers.get(r.value) ?? []), i]);
  });
  const outputs = new Set(program.outputs);
  const steps: PlanStep[] = [];
  program.nodes.forEach((_, i) => {
    const g = groupOfNode[i];
    if (!live[i]) return;
    if (!g || g.members.length === 1) {
      steps.push({ kind: "node", node: i });
      return;
    }
    if (lastMember.get(g) !== i) return;
    if (g.epilogue) {
      steps.push(...epilogueSteps(program, g, readers, outputs));
      return;
    }
    const step = fusedStep(program, g, readers, outputs);
    if (step.outputs.length > 0) steps.push(step);
  });
  return steps;
}

/** The `fused` step of a group; with `head`, that value (a GEMM's result) is input 0 and an output when read outside. */
function fusedStep(program: StepProgram, g: Group, readers: ReadonlyMap<number, number[]>, programOutputs: ReadonlySet<number>, head?: number): FusedStep {
  const members = new Set(g.members);
  const shape = program.values[program.nodes[g.members[0]!]!.outputs[0]!]!.shape!;
  const memberOf = new Map<number, number>(); // value id -> position of its producer in the group
  g.members.forEach((m, k) => memberOf.set(program.nodes[m]!.outputs[0]!, k));
  const internal = (r: ValueRef) => memberOf.has(r.value) && plain(r, shape);
  const inputs: ValueRef[] = [];
  const inputIndex = new Map<string, number>();
  if (head !== undefined) {
    // Members read the head plainly (the join rule), however the view spells its strides.
    const value = program.values[head]!;
    inputs.push({ value: head, dtype: value.dtype, shape: value.shape!, strides: contiguousStrides(value.shape!), offset: 0 });
  }
  for (const m of g.members) {
    for (const r of program.nodes[m]!.inputs) {
      const key = refKey(r);
      if (internal(r) || r.value === head || inputIndex.has(key)) continue;
      inputIndex.set(key, inputs.length);
      inputs.push(r);
    }
  }
  const valueIndex = (r: ValueRef) => (r.value === head ? 0 : internal(r) ? inputs.length + memberOf.get(r.value)! : inputIndex.get(refKey(r))!);
  const steps = g.members.map((m) => {
    const n = program.nodes[m]!;
    return n.op === "cast" ? { op: n.op, args: n.inputs.map(valueIndex), to: n.attrs.to } : { op: n.op, args: n.inputs.map(valueIndex) };
  });
  const results: number[] = [];
  const outputs: number[] = [];
  const readOutside = (v: number) => programOutputs.has(v) || (readers.get(v) ?? []).some((i) => !members.has(i));
  if (head !== undefined && readOutside(head)) {
    results.push(head);
    outputs.push(0);
  }
  g.members.forEach((m, k) => {
    const v = program.nodes[m]!.outputs[0]!;
    if (readOutside(v)) {
      results.push(v);
      outputs.push(inputs.length + k);
    }
  });
  const attrs: Attrs = { program: JSON.stringify(steps), outputs };
  return { kind: "fused", op: "fused", nodes: g.members, inputs, outputs: results, attrs, device: g.device };
}

/**
 * The step of a group headed by a GEMM: the GEMM's inputs and attrs, then a program over [its
 * result, the other members' inputs...] (as in fusedStep, with the result as value 0). Broadcast
 * operands (a bias read as [N, C] with stride 0) are passed unbroadcast, so a device that wants
 * contiguous inputs need not copy them.
 */
function epilogueStep(program: StepProgram, g: Group, readers: ReadonlyMap<number, number[]>, programOutputs: ReadonlySet<number>): FusedStep {
  const rest = g.members.filter((m) => m !== g.head);
  const gemm = program.nodes[g.head!]!;
  const shape = program.values[gemm.outputs[0]!]!.shape!;
  const tail: Group = { members: rest, shape: g.shape, device: g.device, closed: true };
  const inner = fusedStep(program, tail, readers, programOutputs, gemm.outputs[0]);
  const extras = inner.inputs.slice(1).map((r) => unbroadcast(r, shape));
  const attrs: Attrs = { ...gemm.attrs, ...inner.attrs, baseInputs: gemm.inputs.length };
  return { kind: "fused", op: g.epilogue!, nodes: g.members, inputs: [...gemm.inputs, ...extras], outputs: inner.outputs, attrs, device: g.device };
}

/**
 * The epilogue step, or, when it would take more than MAX_EPILOGUE_OPERANDS operands (an optimiser
 * update after a weight gradient), the GEMM as a node and the rest as a `fused` step that may then
 * run in place, both where the group's last member was.
 */
function epilogueSteps(program: StepProgram, g: Group, readers: ReadonlyMap<number, number[]>, programOutputs: ReadonlySet<number>): PlanStep[] {
  const step = epilogueStep(program, g, readers, programOutputs);
  if (step.inputs.length + step.outputs.length <= MAX_EPILOGUE_OPERANDS) return [step];
  const tail: Group = { members: g.members.filter((m) => m !== g.head), shape: g.shape, device: g.device, closed: true };
  const head: PlanStep = { kind: "node", node: g.head! };
  if (tail.members.length === 1) return [head, { kind: "node", node: tail.members[0]! }];
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
