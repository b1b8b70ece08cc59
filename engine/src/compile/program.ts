import type { Attrs, DType } from "@polychip/hal";

/**
 * What `compile` captures from one run of a function: every op the dispatcher was asked for, on
 * values numbered in order of appearance. A value is either external, a storage the function read
 * from outside (parameters, optimiser state, inputs, scalars made on the host), or an op result, a
 * contiguous buffer of its `shape`. An op reads a value through a view (its own
 * shape, strides and offset), so transposes, slices and broadcasts need no nodes of their own.
 */
export interface ValueRef {
  readonly value: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export interface StepValue {
  readonly dtype: DType;
  readonly device: string;
  readonly bytes: number;
  readonly external: boolean;
  /** An op result's shape; an external storage is described by its bytes only. */
  readonly shape?: readonly number[];
}

export interface StepNode {
  /** A HAL op, or "copyInto": `inputs[0]` written into the region `write` of an existing value. */
  readonly op: string;
  readonly attrs: Attrs;
  readonly inputs: readonly ValueRef[];
  readonly outputs: readonly number[];
  readonly device: string;
  readonly write?: ValueRef;
}

export interface StepProgram {
  readonly values: readonly StepValue[];
  readonly nodes: readonly StepNode[];
  /** Op results still referenced by a tensor when the function returned. */
  readonly outputs: readonly number[];
}

/**
 * Attributes whose value may change from call to call without changing the plan: a scalar's value
 * (Adam's bias correction, a scheduled learning rate) and a random op's seed. Every other
 * attribute is part of the structure, so a change re-plans instead of running a stale plan.
 */
const RUNTIME_ATTRS: Readonly<Record<string, readonly string[]>> = {
  fill: ["value"],
  randomUniform: ["seed"],
  randomNormal: ["seed"],
};

function structuralAttrs(op: string, attrs: Attrs): string {
  const lifted = RUNTIME_ATTRS[op];
  const keys = Object.keys(attrs)
    .filter((k) => !lifted?.includes(k))
    .sort();
  return keys.map((k) => `${k}=${JSON.stringify(attrs[k])}`).join(",");
}

/** A view's identity: the value and how it is read. */
export const refKey = (r: ValueRef) => `${r.value}:${r.dtype}[${r.shape}]/[${r.strides}]+${r.offset}`;

/** Two recordings with the same key run the same plan: same ops, wiring, views, sizes and structural attributes. */
export function structureKey(program: StepProgram): string {
  const parts: string[] = [];
  for (const v of program.values) if (v.external) parts.push(`x:${v.device}:${v.dtype}:${v.bytes}`);
  for (const n of program.nodes) {
    const write = n.write ? `>${refKey(n.write)}` : "";
    parts.push(`${n.op}@${n.device}(${n.inputs.map(refKey).join(";")})${write}{${structuralAttrs(n.op, n.attrs)}}->${n.outputs.join(",")}`);
  }
  parts.push(`out:${program.outputs.join(",")}`);
  return parts.join("\n");
}
