import { FUSIBLE_OPS, isContiguous, type Attrs } from "@polychip/hal";
import type { StepProgram, ValueRef } from "./program.ts";
import { liveNodes, type FusedStep, type PlanStep } from "./plan.ts";

interface Group {
  readonly members: number[];
  readonly shape: string;
  readonly device: string;
  /** Set once a node outside the group read one of its values: nothing may join after that. */
  closed: boolean;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Groups chains of elementwise ops into `fused` steps (the HAL op of that name: one kernel per
 * group on a device that has one, the same ops one by one on a device that does not).
 *
 * A node joins the group of an input's producer when it has the group's shape, reads that input
 * through its plain layout, and no node outside the group has read the group's values yet; the
 * group then runs where its last member was, so every reader outside it still comes later. Values
 * that a `copyInto` writes are never fused: their contents change between reads.
 */
export function fusedSteps(program: StepProgram): PlanStep[] {
  const written = new Set(program.nodes.flatMap((n) => (n.write ? [n.write.value] : [])));
  const groupOf = new Map<number, Group>(); // value id -> the group producing it
  const groupOfNode: (Group | undefined)[] = [];
  const live = liveNodes(program);
  program.nodes.forEach((n, index) => {
    if (!live[index]) return;
    const shape = n.outputs.length === 1 ? program.values[n.outputs[0]!]!.shape : undefined;
    const fusible = !n.write && shape && FUSIBLE_OPS.has(n.op) && !n.inputs.some((r) => written.has(r.value));
    let joined: Group | undefined;
    if (fusible) {
      const key = String(shape);
      for (const r of n.inputs) {
        const g = groupOf.get(r.value);
        const readsPlainly = n.inputs.every((other) => groupOf.get(other.value) !== g || plain(other, shape));
        if (g && !g.closed && g.shape === key && g.device === n.device && readsPlainly) joined = g;
      }
      joined ??= { members: [], shape: key, device: n.device, closed: false };
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
    const step = fusedStep(program, g, readers, outputs);
    if (step.outputs.length > 0) steps.push(step);
  });
  return steps;
}

function fusedStep(program: StepProgram, g: Group, readers: ReadonlyMap<number, number[]>, programOutputs: ReadonlySet<number>): FusedStep {
  const members = new Set(g.members);
  const shape = program.values[program.nodes[g.members[0]!]!.outputs[0]!]!.shape!;
  const memberOf = new Map<number, number>(); // value id -> position of its producer in the group
  g.members.forEach((m, k) => memberOf.set(program.nodes[m]!.outputs[0]!, k));
  const internal = (r: ValueRef) => memberOf.has(r.value) && plain(r, shape);
  const inputs: ValueRef[] = [];
  const inputIndex = new Map<string, number>();
  for (const m of g.members) {
    for (const r of program.nodes[m]!.inputs) {
      const key = `${r.value}:${r.dtype}[${r.shape}]/[${r.strides}]+${r.offset}`;
      if (internal(r) || inputIndex.has(key)) continue;
      inputIndex.set(key, inputs.length);
      inputs.push(r);
    }
  }
  const valueIndex = (r: ValueRef) =>
    internal(r) ? inputs.length + memberOf.get(r.value)! : inputIndex.get(`${r.value}:${r.dtype}[${r.shape}]/[${r.strides}]+${r.offset}`)!;
  const steps = g.members.map((m) => {
    const n = program.nodes[m]!;
    return n.op === "cast" ? { op: n.op, args: n.inputs.map(valueIndex), to: n.attrs.to } : { op: n.op, args: n.inputs.map(valueIndex) };
  });
  const results: number[] = [];
  const outputs: number[] = [];
  g.members.forEach((m, k) => {
    const v = program.nodes[m]!.outputs[0]!;
    if (programOutputs.has(v) || (readers.get(v) ?? []).some((i) => !members.has(i))) {
      results.push(v);
      outputs.push(inputs.length + k);
    }
  });
  const attrs: Attrs = { program: JSON.stringify(steps), outputs };
  return { kind: "fused", nodes: g.members, inputs, outputs: results, attrs, device: g.device };
}
