/**
 * A program with steps the WASM loop lacks (exp, tanh, sigmoid, erf, log, integer division, ...) split into
 * stages: runs of WASM steps (SIMD, threaded, any row broadcast) and runs of the other steps (the
 * generated JavaScript over contiguous inputs, its fast flat loop). Every value a later stage reads
 * is stored in a contiguous buffer of the output's shape, exactly as the unfused op would have
 * stored it, so the result stays bit-identical to the eager ops; at worst the stages do what the
 * unfused kernels do, with fewer buffers.
 */
import type { FusedStep, TensorMeta } from "@polychip/hal";
import { stepRunsInLoop } from "../wasm/kernels/fused.ts";
import { LOOP_DTYPES } from "../wasm/kernels/fused-integer.ts";

/**
 * One stage: a program of its own. Values are named globally: the program's inputs 0..N-1, its
 * step k as N + k, and -1 - k for a contiguous copy of input k. The stage reads `inputs` and
 * writes `writes` (its program's outputs, `outputs`, in the same order).
 */
export interface FusedStage {
  readonly wasm: boolean;
  readonly inputs: readonly number[];
  readonly steps: readonly FusedStep[];
  readonly outputs: readonly number[];
  readonly writes: readonly number[];
}

/** The global name of the copy of input k. */
export const copyOf = (k: number): number => -1 - k;

/**
 * The stages of a program over `types` (inputs, then steps), or undefined when staging does not
 * apply: some value has a dtype the loop does not load (LOOP_DTYPES), an output is an input or a constant, or every step (or
 * none) runs in WASM. `flat[k]`: input k can be read by the JavaScript loop as it is (contiguous
 * with the output, or a single element); a JavaScript stage reads any other input from a copy that
 * a WASM stage before it makes. Constants are repeated in each stage that uses them.
 */
export function planStages(
  steps: readonly FusedStep[],
  outputs: readonly number[],
  types: readonly TensorMeta[],
  flat: readonly boolean[],
): FusedStage[] | undefined {
  const N = flat.length;
  const isConst = (v: number) => v >= N && steps[v - N]!.op === "const";
  if (!types.every((m) => LOOP_DTYPES.has(m.dtype)) || outputs.some((o) => o < N || isConst(o))) return undefined;
  // Steps no output depends on are dropped: a stage of them would write nothing.
  const live = new Set<number>(outputs);
  for (let k = steps.length - 1; k >= 0; k--) if (live.has(N + k)) for (const a of steps[k]!.args) live.add(a);
  const work = steps.map((_, k) => k).filter((k) => !isConst(N + k) && live.has(N + k));
  const inWasm = (k: number) => stepRunsInLoop(steps, types, k);
  if (work.every(inWasm) || !work.some(inWasm)) return undefined;

  // Each stage takes, in program order, every remaining step of its kind whose args are ready.
  const stageOf = new Map<number, number>();
  const groups: { wasm: boolean; members: number[] }[] = [];
  const ready = (v: number) => v < N || isConst(v) || stageOf.has(v);
  let remaining = work;
  while (remaining.length > 0) {
    const wasm = inWasm(remaining.find((k) => steps[k]!.args.every(ready))!);
    const members: number[] = [];
    for (const k of remaining) {
      if (inWasm(k) === wasm && steps[k]!.args.every(ready)) {
        stageOf.set(N + k, groups.length);
        members.push(k);
      }
    }
    groups.push({ wasm, members });
    remaining = remaining.filter((k) => !stageOf.has(N + k));
  }

  // Inputs a JavaScript stage would read strided are copied by the WASM stage before it (one is added in front if needed).
  const strided = new Set<number>();
  for (const g of groups) if (!g.wasm) for (const k of g.members) for (const a of steps[k]!.args) if (a < N && !flat[a]) strided.add(a);
  if (strided.size > 0 && !groups[0]!.wasm) groups.unshift({ wasm: true, members: [] });
  const firstJs = groups.findIndex((g) => !g.wasm);
  const reads = (g: { wasm: boolean; members: number[] }) =>
    g.members.flatMap((k) => steps[k]!.args.filter((a) => !isConst(a)).map((a) => (!g.wasm && strided.has(a) ? copyOf(a) : a)));

  return groups.map((g, s) => {
    const later = new Set(groups.slice(s + 1).flatMap(reads));
    const writes = [...g.members.map((k) => N + k).filter((v) => later.has(v) || outputs.includes(v)), ...(s === firstJs - 1 ? [...strided].map(copyOf) : [])];
    return emitStage(g.wasm, g.members, writes, steps, N, (a) => (!g.wasm && strided.has(a) ? copyOf(a) : a));
  });
}

/** A stage's own program: what it reads from outside becomes its inputs, constants are repeated, `writes` are its outputs. */
function emitStage(
  wasm: boolean,
  members: readonly number[],
  writes: readonly number[],
  steps: readonly FusedStep[],
  N: number,
  source: (v: number) => number,
): FusedStage {
  const here = new Set(members.map((k) => N + k));
  const isConst = (v: number) => v >= N && steps[v - N]!.op === "const";
  const inputs: number[] = [];
  const consts: number[] = [];
  const note = (v: number) => {
    if (isConst(v)) {
      if (!consts.includes(v)) consts.push(v);
    } else if (!here.has(v) && !inputs.includes(v)) inputs.push(v);
  };
  for (const k of members) for (const a of steps[k]!.args) note(isConst(a) ? a : source(a));
  for (const w of writes) if (w < 0) note(copyOf(w));
  const local = new Map<number, number>(inputs.map((v, i) => [v, i]));
  const own: FusedStep[] = [];
  for (const v of [...consts, ...members.map((k) => N + k)]) {
    const step = steps[v - N]!;
    local.set(v, inputs.length + own.length);
    own.push({ ...step, args: step.args.map((a) => local.get(isConst(a) ? a : source(a))!) });
  }
  // A copy of input k is the stage's input k written out unchanged.
  const outputs = writes.map((w) => local.get(w < 0 ? copyOf(w) : w)!);
  return { wasm, inputs, steps: own, outputs, writes };
}
