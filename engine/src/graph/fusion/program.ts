import type { AttrValue, DType } from "@polychip/hal";

export interface ProgramMember<In> {
  readonly op: string;
  readonly reads: readonly In[];
  /** A cast's target dtype. */
  readonly to?: AttrValue;
}

/** What a caller knows about one group, in its own representation of values (`In`). */
export interface ProgramParts<In> {
  /** The group's nodes in execution order. */
  readonly members: readonly ProgramMember<In>[];
  /** The member whose result `input` is, when the program can hold it in registers; otherwise it is a program input. */
  readonly memberOf: (input: In) => number | undefined;
  /** Program inputs with one key are one input. */
  readonly key: (input: In) => string;
  /** A scalar the program holds as a `const` step rather than reading it as an input. */
  readonly constant?: (input: In) => { readonly value: number; readonly dtype: DType } | undefined;
  /** Whether member k's result is needed after the program (read outside the group, or kept). */
  readonly needed: (member: number) => boolean;
  /** A value passed as input 0 ahead of the rest (an epilogue's GEMM product: reads with its key read it), and whether it is needed after. */
  readonly lead?: { readonly input: In; readonly needed: boolean };
}

export interface FusedProgramParts<In> {
  /** The program's inputs in order (the lead first, then others in order of first use). */
  readonly inputs: In[];
  /** The HAL `fused` attributes: `program` (steps as JSON) and `outputs` (value indices). */
  readonly attrs: { readonly program: string; readonly outputs: number[] };
  /** What each output is: -1 for the lead, else the member whose result it is. */
  readonly results: number[];
}

type Step = { op: string; args: number[]; to?: AttrValue; value?: number };

/**
 * The HAL `fused` program of a group (hal/README.md §6), shared by compile's plans and the graph
 * pass: external inputs in order of first use, scalars as `const` steps ahead of the members, one
 * step per member, and as outputs the values needed after the program.
 */
export function fusedProgram<In>(parts: ProgramParts<In>): FusedProgramParts<In> {
  const { members, memberOf, key, constant } = parts;
  const inputs: In[] = parts.lead ? [parts.lead.input] : [];
  const inputIndex = new Map<string, number>(parts.lead ? [[key(parts.lead.input), 0]] : []);
  const constIndex = new Map<string, number>();
  const consts: Step[] = [];
  for (const m of members) {
    for (const r of m.reads) {
      const k = key(r);
      if (memberOf(r) !== undefined || inputIndex.has(k) || constIndex.has(k)) continue;
      const scalar = constant?.(r);
      if (scalar) {
        constIndex.set(k, consts.length);
        consts.push({ op: "const", args: [], to: scalar.dtype, value: scalar.value });
      } else {
        inputIndex.set(k, inputs.length);
        inputs.push(r);
      }
    }
  }
  const memberIndex = (k: number) => inputs.length + consts.length + k;
  const valueIndex = (r: In): number => {
    const m = memberOf(r);
    if (m !== undefined) return memberIndex(m);
    const k = key(r);
    return inputIndex.get(k) ?? inputs.length + constIndex.get(k)!;
  };
  const steps: Step[] = [...consts];
  for (const m of members) steps.push(m.op === "cast" ? { op: m.op, args: m.reads.map(valueIndex), to: m.to } : { op: m.op, args: m.reads.map(valueIndex) });
  const outputs: number[] = [];
  const results: number[] = [];
  if (parts.lead?.needed) {
    outputs.push(0);
    results.push(-1);
  }
  members.forEach((_, k) => {
    if (!parts.needed(k)) return;
    outputs.push(memberIndex(k));
    results.push(k);
  });
  return { inputs, attrs: { program: JSON.stringify(steps), outputs }, results };
}
