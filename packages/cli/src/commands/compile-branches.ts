import { UnsupportedOpError } from "@polychip/hal";
import type { Graph } from "@polychip/engine/graph";
import { parsingFile, readBytes } from "../files.ts";
import { loadOnnxSupport } from "../model-files.ts";

/** A graph planned with some values the importer could not compute fixed (an If's condition). */
export interface BranchPlan {
  readonly graph: Graph;
  readonly assumed: Record<string, number[]>;
}

/** More than this many data-dependent conditions (2^n plans) are not enumerated: compile asks for --input instead. */
const MAX_PLANS = 8;

const isRunTimeValue = (err: unknown): err is Error & { value: string } =>
  err instanceof Error && err.name === "RunTimeValueError" && typeof (err as { value?: unknown }).value === "string";

const askForInputs = (err: Error, why: string) =>
  new UnsupportedOpError(
    `compile: ${err.message}. Which part of such a model runs depends on its input data, and ${why}: ` +
      "pass --input inputs.json (as for polychip run); the plan then holds the branch those inputs take",
  );

/**
 * Plans an ONNX model whose If conditions depend on its data without any data: one plan per
 * combination of the conditions' values (each If's then- and else-branch), so compile can show
 * what each branch compiles to. Gives up — asking for --input — when a condition is not an If's
 * (a Range's limit), is nested where only shapes can settle it, or the plans would exceed
 * MAX_PLANS.
 */
export async function branchPlans(path: string, failure: Error): Promise<BranchPlan[]> {
  const bytes = await readBytes(path, "ONNX model");
  const { importOnnx } = await loadOnnxSupport();
  const plans: BranchPlan[] = [];
  const pending: Record<string, number[]>[] = [{}];
  while (pending.length > 0) {
    const assumed = pending.shift()!;
    const knownValues = Object.fromEntries(
      Object.entries(assumed).map(([name, [v]]) => [name, { dtype: "bool" as const, shape: [], data: Uint8Array.of(v!) }]),
    );
    try {
      plans.push({ graph: await importOnnx(bytes, { knownValues }), assumed });
    } catch (err) {
      // Named after the file the way loading it names it (parsingFile keeps the class, not the value's name).
      if (!isRunTimeValue(err)) return parsingFile(path, () => Promise.reject(err));
      if (!/If's condition/.test(err.message) || err.value in assumed) throw askForInputs(failure, "the value it needs cannot be fixed without it");
      if (plans.length + pending.length + 2 > MAX_PLANS) throw askForInputs(failure, `it has more than ${MAX_PLANS} branch combinations`);
      pending.push({ ...assumed, [err.value]: [1] }, { ...assumed, [err.value]: [0] });
    }
  }
  return plans;
}
