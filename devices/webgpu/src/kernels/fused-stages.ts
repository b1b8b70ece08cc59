import { KernelError, type FusedProgram, type FusedStep } from "@polychip/hal";
import { liveValues } from "../families/fused-program.ts";

/** One output of a stage: the value it writes, and the program output it is (or undefined: a temporary for later stages). */
export interface StageOutput {
  readonly value: number;
  readonly output?: number;
}

/** A part of a fused program small enough for one shader: its own program over values of the whole one. */
export interface FusedStage {
  readonly program: FusedProgram;
  /** The whole program's value index behind each of the stage's inputs. */
  readonly inputs: readonly number[];
  /** In the stage program's output order. */
  readonly outputs: readonly StageOutput[];
}

/**
 * Splits a program whose outputs cannot be grouped under `limit` storage bindings (an output
 * reading more inputs than fit) into stages run one after another: steps are taken in order while
 * the stage's outside values plus the values it must hand on (to later stages, or as outputs) fit;
 * values handed on go through temporaries at the output shape. Constants are repeated in each
 * stage that uses them rather than handed on. A step fits whenever limit >= 4 (three args and its result).
 */
export function splitIntoStages(program: FusedProgram, inputCount: number, limit: number): FusedStage[] {
  const n = inputCount;
  const isConst = (v: number) => v >= n && program.steps[v - n]!.op === "const";
  const live = liveValues(
    program,
    n,
    program.outputs.map((_, m) => m),
  );
  const order = [...live].filter((v) => v >= n && !isConst(v)).sort((a, b) => a - b);
  const consumers = new Map<number, number[]>();
  for (const v of order) for (const a of program.steps[v - n]!.args) consumers.set(a, [...(consumers.get(a) ?? []), v]);
  const outputsOf = (v: number) => program.outputs.flatMap((o, m) => (o === v ? [m] : []));

  const handedOn = (stage: readonly number[], v: number): StageOutput[] => {
    const outs = outputsOf(v).map((m) => ({ value: v, output: m }));
    if (outs.length > 0) return outs; // later stages read an output value from its output
    return (consumers.get(v) ?? []).some((c) => !stage.includes(c)) ? [{ value: v }] : [];
  };
  const outside = (stage: readonly number[]) => {
    const args = stage.flatMap((v) => program.steps[v - n]!.args);
    return [...new Set(args)].filter((a) => !stage.includes(a) && !isConst(a));
  };
  const bindings = (stage: readonly number[]) => outside(stage).length + stage.flatMap((v) => handedOn(stage, v)).length;

  const groups: number[][] = [];
  let current: number[] = [];
  for (const v of order) {
    if (bindings([v]) > limit) {
      throw new KernelError(
        `webgpu: fused: step ${v - n} (${program.steps[v - n]!.op}) alone needs ${bindings([v])} storage buffers, more than the ${limit} one shader may bind`,
      );
    }
    if (current.length > 0 && bindings([...current, v]) > limit) {
      groups.push(current);
      current = [];
    }
    current.push(v);
  }
  if (current.length > 0) groups.push(current);

  const stages = groups.map((group) =>
    stageOf(
      program,
      n,
      group,
      outside(group),
      group.flatMap((v) => handedOn(group, v)),
      isConst,
    ),
  );
  // An output that is an input is a copy: a stage of its own with no steps.
  program.outputs.forEach((o, m) => {
    if (o < n) stages.push({ program: { steps: [], outputs: [0] }, inputs: [o], outputs: [{ value: o, output: m }] });
  });
  return stages;
}

function stageOf(
  program: FusedProgram,
  n: number,
  group: readonly number[],
  inputs: number[],
  outputs: StageOutput[],
  isConst: (v: number) => boolean,
): FusedStage {
  const local = new Map(inputs.map((v, k) => [v, k]));
  const steps: FusedStep[] = [];
  const add = (v: number) => {
    const step = program.steps[v - n]!;
    for (const a of step.args) if (isConst(a) && !local.has(a)) add(a);
    steps.push({ ...step, args: step.args.map((a) => local.get(a)!) });
    local.set(v, inputs.length + steps.length - 1);
  };
  for (const v of group) add(v);
  return { program: { steps, outputs: outputs.map((o) => local.get(o.value)!) }, inputs, outputs };
}
