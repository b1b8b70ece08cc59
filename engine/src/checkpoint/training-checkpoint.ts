import { FormatError } from "@polychip/hal";
import { getRngState, setRngState } from "../ops/creation.ts";
import type { Module } from "../nn/module.ts";
import type { Optimizer, OptimizerStateDict, ParamState } from "../optim/optimizer.ts";
import type { SchedulerStateDict } from "../optim/scheduler.ts";
import type { Tensor } from "../tensor.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

/** Anything with a state dict of plain values: every LR scheduler. */
export interface SchedulerLike {
  stateDict(): SchedulerStateDict;
  loadStateDict(sd: SchedulerStateDict): void;
}

export interface TrainingState {
  model: Module;
  optimizer?: Optimizer<any>;
  scheduler?: SchedulerLike;
  /** The training step (or epoch) to resume from. */
  step?: number;
  /** Free-form JSON values (a config, a tokenizer's vocabulary). */
  extra?: Record<string, unknown>;
}

interface TrainingMeta {
  kind: "training";
  step: number;
  rng: { seed: number; counter: number };
  optimizer?: { paramGroups: OptimizerStateDict["paramGroups"]; steps: Record<number, number> };
  scheduler?: SchedulerStateDict;
  extra: Record<string, unknown>;
}

const MODEL = "model/";
const OPTIM = "optimizer/";

/**
 * One checkpoint with everything a run needs to continue exactly where it stopped: the model's
 * parameters and buffers, the optimiser's buffers and groups, the scheduler, the global RNG
 * position and the step. Written in the checksummed checkpoint container.
 */
export async function saveTrainingCheckpoint(state: TrainingState): Promise<Uint8Array> {
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of state.model.stateDict()) tensors.set(MODEL + name, t);
  let optimizer: TrainingMeta["optimizer"];
  if (state.optimizer) {
    const sd = state.optimizer.stateDict();
    const steps: Record<number, number> = {};
    for (const [id, s] of Object.entries(sd.state)) {
      steps[Number(id)] = s.step;
      for (const [buf, t] of Object.entries(s.buffers)) tensors.set(`${OPTIM}${id}/${buf}`, t);
    }
    optimizer = { paramGroups: sd.paramGroups, steps };
  }
  const meta: TrainingMeta = {
    kind: "training",
    step: state.step ?? 0,
    rng: getRngState(),
    optimizer,
    scheduler: state.scheduler?.stateDict(),
    extra: state.extra ?? {},
  };
  return saveCheckpoint(tensors, meta as unknown as Record<string, unknown>);
}

/**
 * Restores what saveTrainingCheckpoint wrote into freshly built objects of the same shapes, sets the
 * global RNG to where it was, and returns the step and extra values. A part the checkpoint holds
 * but no object is given for (or the reverse) is an error, not silently skipped.
 */
export function loadTrainingCheckpoint(bytes: Uint8Array, into: Omit<TrainingState, "step" | "extra">): { step: number; extra: Record<string, unknown> } {
  const { meta, state: tensors } = loadCheckpoint(bytes);
  const m = meta as unknown as TrainingMeta;
  if (m.kind !== "training")
    throw new FormatError(
      "loadTrainingCheckpoint: not a training checkpoint (save it with saveTrainingCheckpoint; a plain saveCheckpoint file holds weights only)",
    );
  try {
    const model = new Map<string, Tensor>();
    for (const [name, t] of tensors) if (name.startsWith(MODEL)) model.set(name.slice(MODEL.length), t);
    into.model.loadStateDict(model);
    if (!!m.optimizer !== !!into.optimizer)
      throw new FormatError(
        `loadTrainingCheckpoint: the checkpoint ${m.optimizer ? "holds" : "has no"} optimiser state but ${into.optimizer ? "an" : "no"} optimiser was given`,
      );
    if (m.optimizer && into.optimizer) {
      const state: Record<number, ParamState> = {};
      for (const [id, step] of Object.entries(m.optimizer.steps)) state[Number(id)] = { step, buffers: {} };
      for (const [name, t] of tensors) {
        if (!name.startsWith(OPTIM)) continue;
        const [id, buf] = name.slice(OPTIM.length).split("/") as [string, string];
        const slot = state[Number(id)];
        if (!slot) throw new FormatError(`loadTrainingCheckpoint: optimiser buffer '${name}' belongs to no saved parameter state`);
        slot.buffers[buf] = t;
      }
      into.optimizer.loadStateDict({ state, paramGroups: m.optimizer.paramGroups });
    }
    if (!!m.scheduler !== !!into.scheduler)
      throw new FormatError(
        `loadTrainingCheckpoint: the checkpoint ${m.scheduler ? "holds" : "has no"} scheduler state but ${into.scheduler ? "a" : "no"} scheduler was given`,
      );
    if (m.scheduler && into.scheduler) into.scheduler.loadStateDict(m.scheduler);
    setRngState(m.rng);
    return { step: m.step, extra: m.extra ?? {} };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
