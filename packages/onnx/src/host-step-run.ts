import { PolychipError } from "@polychip/hal";
import { readHost } from "@polychip/engine/runtime";
import type { HostValue, PendingHostStep } from "./import/host-step.ts";
import type { Stages } from "./stages.ts";
import type { HostTensor } from "./tensor.ts";

/** Where one run's host step finds the values it reads. */
export interface HostStepSource {
  readonly stages: Stages;
  /** Whether `name` is a graph input of the model. */
  isInput(name: string): boolean;
  /** A graph input's values (host data as given, a device view read back; a STRING input's strings). */
  input(name: string): Promise<HostValue>;
  /** Values the model computes before the step: a stage runs up to them and leaves what later nodes read on the device. */
  computed(names: readonly string[]): Promise<Readonly<Record<string, HostTensor>>>;
  /** Whether `name` is a value of the top-level graph (else an inlined If branch computes it). */
  isTopLevel(name: string): boolean;
  /**
   * Values an inlined If branch computes before the step: a prefix of what is left runs up to them
   * and only they are read back (stages run whole top-level nodes, and the If is not done yet).
   */
  computedInBranch(names: readonly string[]): Promise<Readonly<Record<string, HostTensor>>>;
}

/**
 * Runs a host step for one run (see import/host-step.ts): reads its values — known at import, a
 * graph input, left by an earlier stage, or computed now by the part of the model before it (up
 * to a value inside the inlined If branch the step sits in, too) — and
 * puts its results in `stages.host`, from where the plan of the rest reads them as inputs.
 */
export async function runHostStep(step: PendingHostStep, source: HostStepSource): Promise<void> {
  const { stages } = source;
  if (step.results.every((r) => stages.host.has(r)))
    throw new PolychipError(`OnnxSession: ONNX node '${step.node}' asked for its host step again after it ran in this run`);
  const known = (name: string) => step.constants[name] ?? stages.constants[name] ?? stages.host.get(name);
  const pending = step.reads.filter((name) => name && !known(name) && !source.isInput(name) && !stages.fed.has(name));
  const inBranch = pending.filter((name) => !source.isTopLevel(name));
  const topLevel = pending.filter((name) => source.isTopLevel(name));
  // The branch's values first: a stage for the top-level ones would mark nodes done and renumber the branch's names.
  const computed = {
    ...(inBranch.length > 0 ? await source.computedInBranch(inBranch) : {}),
    ...(topLevel.length > 0 ? await source.computed(topLevel) : {}),
  };
  const values: (HostValue | undefined)[] = [];
  for (const name of step.reads) {
    const fed = name ? stages.fed.get(name) : undefined;
    if (!name) values.push(undefined);
    else values.push(known(name) ?? computed[name] ?? (fed ? await readHost(fed) : await source.input(name)));
  }
  const results = step.compute(values);
  if (results.length !== step.results.length)
    throw new PolychipError(`OnnxSession: the host step of ONNX node '${step.node}' returned ${results.length} results for ${step.results.length}`);
  results.forEach((t, i) => stages.host.set(step.results[i]!, t));
}
