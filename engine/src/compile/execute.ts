import { contiguousStrides, dtypeBytes, isContiguous, KernelError, PolychipError, sizeOf, type Attrs } from "@polychip/hal";
import { getDeviceEntry } from "../core/devices.ts";
import { allocate, copyInto, launchInto, runOp } from "../core/dispatch.ts";
import type { Storage } from "../core/storage.ts";
import { viewIsContiguous, type RawView } from "../core/view.ts";
import type { FusedStep, Plan } from "./plan.ts";
import type { StepProgram, ValueRef } from "./program.ts";
import { isSmallFill, SmallFills } from "./small-fills.ts";

/** What one run of a plan reads: the storages of its external values, and each node's attributes. */
export interface PlanRun {
  /** External storages by value id; the run owns one reference of each (a step writing in place over one takes it over). */
  readonly externals: Map<number, Storage>;
  /** Node i's attributes for this run (a replay's live scalars and fresh seeds); the recorded ones by default. */
  readonly attrs?: (node: number) => Attrs;
  /**
   * Where output `id` must end (a replay: the storage that the parameter, gradient or optimiser
   * state holding it already shares). The step producing it writes there directly when nothing
   * reads that storage's old value later; otherwise the value is copied there at the end.
   */
  readonly destination?: (id: number) => Storage | undefined;
}

/**
 * Runs a plan: the plan's order, fusion and frees, on the run's external storages and attributes.
 * Returns the storage computed for each program output (one reference each, owned by the caller);
 * an output with a destination comes back as that destination, already holding the value.
 */
export function execute(plan: Plan, program: StepProgram, run: PlanRun): { inPlace: number; outputs: Map<number, Storage> } {
  let inPlace = 0;
  const real = new Map<number, Storage>(run.externals);
  const attrsOf = run.attrs ?? ((node: number) => program.nodes[node]!.attrs);
  const destinations = new Destinations(plan, program, run);
  const fills = new SmallFills(plan, program);
  const view = (r: ValueRef): RawView => {
    const storage = real.get(r.value);
    if (!storage) throw new PolychipError(`compile: internal error, value ${r.value} read before it was computed`);
    return { storage, dtype: r.dtype, shape: r.shape, strides: r.strides, offset: r.offset };
  };
  const produced = (ids: readonly number[], outs: RawView[]) =>
    outs.forEach((o, k) => {
      const id = ids[k]!;
      real.set(id, whole(o, program.values[id]!.bytes));
    });
  try {
    plan.steps.forEach((step, i) => {
      if (step.kind === "fused") {
        const inputs = step.inputs.map(view);
        if (destinations.writeDirectly(step.op, step.outputs, inputs, step.attrs, i, real)) return afterStep(plan, i, real);
        if (step.op === "fused" && runInPlace(plan, program, run, real, step, i, inputs)) inPlace++;
        else produced(step.outputs, runOp(step.op, inputs, step.attrs, step.device));
      } else {
        const n = program.nodes[step.node]!;
        const attrs = attrsOf(step.node);
        if (n.write) copyInto(getDeviceEntry(n.device), view(n.inputs[0]!), view(n.write));
        else if (isSmallFill(n.op, attrs)) real.set(n.outputs[0]!, fills.storageFor(n.outputs[0]!, attrs, n.device));
        else {
          const inputs = n.inputs.map(view);
          if (destinations.writeDirectly(n.op, n.outputs, inputs, attrs, i, real)) return afterStep(plan, i, real);
          if (IN_PLACE[n.op] && runInPlace(plan, program, run, real, { ...n, attrs }, i, inputs)) inPlace++;
          else produced(n.outputs, runOp(n.op, inputs, attrs, n.device));
        }
      }
      afterStep(plan, i, real);
    });
    fills.release();
    const outputs = new Map<number, Storage>();
    for (const id of plan.outputs) {
      outputs.set(id, destinations.settle(id, real.get(id)!, program));
      real.delete(id);
    }
    return { inPlace, outputs };
  } catch (err) {
    fills.release();
    for (const [id, s] of real) if (!run.externals.has(id)) s.release();
    if (err instanceof PolychipError) throw err;
    throw new KernelError(`compile: running the compiled plan failed: ${(err as Error)?.message ?? err}`, err);
  }
}

/** Frees the values whose last reader was step i. */
function afterStep(plan: Plan, i: number, real: Map<number, Storage>): void {
  for (const v of plan.releaseAfter[i]!) {
    real.get(v)?.release();
    real.delete(v);
  }
}

/**
 * A replay's destinations: outputs that must land in storages other tensors already hold. A step
 * writes into one directly when every external read of that storage is over by then, or ends at
 * this very step and is an elementwise read of the whole buffer (each element read before written).
 */
class Destinations {
  private readonly written = new Set<number>();
  /** Outputs that have a destination. */
  private readonly targeted = new Set<number>();
  /** The last step reading each destination storage through an external value, and whether every such read is plain. */
  private readonly readUntil = new Map<Storage, { step: number; plain: boolean }>();

  constructor(
    plan: Plan,
    private readonly program: StepProgram,
    private readonly run: PlanRun,
  ) {
    if (!run.destination) return;
    const targets = new Set<Storage>();
    for (const id of plan.outputs) {
      const target = run.destination(id);
      if (!target) continue;
      targets.add(target);
      this.targeted.add(id);
    }
    for (const [id, storage] of run.externals) {
      if (!targets.has(storage)) continue;
      const last = plan.lastReader.get(id) ?? -1;
      const prev = this.readUntil.get(storage);
      this.readUntil.set(storage, { step: Math.max(last, prev?.step ?? -1), plain: (prev?.plain ?? true) && readsPlainly(program, id) });
    }
  }

  /**
   * Launches `op` with each destination output written straight into its destination where that is
   * safe (the others into new buffers, copied at the end); false (nothing launched) when no output
   * can be, or the device cannot launch into given outputs.
   */
  writeDirectly(op: string, ids: readonly number[], inputs: readonly RawView[], attrs: Attrs, step: number, real: Map<number, Storage>): boolean {
    const dest = this.run.destination;
    if (!dest || !ids.some((id) => this.targeted.has(id))) return false;
    const elementwise = op === "fused";
    const targets = ids.map((id) => {
      const t = dest(id);
      const read = t && this.readUntil.get(t);
      return read && (read.step > step || (read.step === step && !(elementwise && read.plain))) ? undefined : t;
    });
    if (targets.every((t) => t === undefined)) return false;
    const outputs = ids.map((id, k): RawView => {
      const value = this.program.values[id]!;
      const t = targets[k];
      if (t) return { storage: t, dtype: value.dtype, shape: value.shape!, strides: contiguousStrides(value.shape!), offset: 0 };
      return allocate(getDeviceEntry(inputs[0]?.storage.device), value.dtype, value.shape!);
    });
    if (!inputs.length || !launchInto(op, inputs, attrs, outputs)) {
      outputs.forEach((o, k) => !targets[k] && o.storage.release());
      return false;
    }
    ids.forEach((id, k) => {
      if (targets[k]) this.written.add(id);
      // The plan's map holds one reference per value; a destination's is taken here and handed back by settle().
      real.set(id, targets[k] ? targets[k]!.retain() : outputs[k]!.storage);
    });
    return true;
  }

  /** The output's final storage: its destination (copied there unless written directly) or the computed one. */
  settle(id: number, computed: Storage, program: StepProgram): Storage {
    const target = this.run.destination?.(id);
    if (!target || this.written.has(id)) return computed;
    const value = program.values[id]!;
    const whole = (storage: Storage): RawView => ({ storage, dtype: value.dtype, shape: value.shape!, strides: contiguousStrides(value.shape!), offset: 0 });
    copyInto(getDeviceEntry(target.device), whole(computed), whole(target));
    computed.release();
    return target.retain();
  }
}

const plainlyRead = new WeakMap<StepProgram, Map<number, boolean>>();

/** Every read of external `id` covers its whole buffer contiguously from offset 0 (so an elementwise step may overwrite it). Cached per program. */
function readsPlainly(program: StepProgram, id: number): boolean {
  let known = plainlyRead.get(program);
  if (!known) {
    known = new Map();
    plainlyRead.set(program, known);
    for (const n of program.nodes) {
      for (const r of n.write ? [...n.inputs, n.write] : n.inputs) {
        const v = program.values[r.value]!;
        if (!v.external) continue;
        const plain = r.offset === 0 && isContiguous(r.shape, r.strides) && sizeOf(r.shape) * dtypeBytes(r.dtype) === v.bytes;
        known.set(r.value, (known.get(r.value) ?? true) && plain);
      }
    }
  }
  return known.get(id) ?? true;
}

/**
 * Which output of an op may be written over which input: those where each element of the input is
 * read before the same element of the output is written. A fused program is elementwise; the
 * batch-norm gradients read gradY and x whole for their sums, then write dx element by element.
 */
const IN_PLACE: Readonly<Record<string, (output: number, input: number) => boolean>> = {
  fused: () => true,
  batchNormTrainingGrad: (output, input) => output === 0 && input <= 1,
  batchNormTrainingReluGrad: (output, input) => output === 0 && input <= 1,
};

/** What runInPlace launches: a fused step, or a recorded node with this run's attributes. */
type Launch = Pick<FusedStep, "op" | "inputs" | "outputs" | "attrs" | "device">;

/**
 * Runs a step writing over inputs it reads for the last time (an optimiser's parameter and
 * moments, an activation's gradient) where it can: same dtype, shape and contiguous layout, read
 * only through that one view, held by nobody else, and a pair the op allows (IN_PLACE). False,
 * having changed nothing, when no buffer can be reused or the device runs the step some other way.
 */
function runInPlace(
  plan: Plan,
  program: StepProgram,
  run: PlanRun,
  real: Map<number, Storage>,
  step: Launch,
  index: number,
  inputs: readonly RawView[],
): boolean {
  const allowed = IN_PLACE[step.op]!;
  const reusedInput = step.outputs.map(() => -1);
  step.outputs.forEach((id, m) => {
    const value = program.values[id]!;
    reusedInput[m] = step.inputs.findIndex((r, j) => {
      const v = inputs[j]!;
      return (
        allowed(m, j) &&
        !reusedInput.includes(j) &&
        plan.lastReader.get(r.value) === index &&
        !plan.outputs.includes(r.value) &&
        step.inputs.every((other, o) => o === j || other.value !== r.value) &&
        v.storage.exclusive &&
        v.dtype === value.dtype &&
        v.offset === 0 &&
        v.storage.bytes === value.bytes &&
        viewIsContiguous(v) &&
        sizeOf(v.shape) * dtypeBytes(v.dtype) === value.bytes
      );
    });
  });
  if (reusedInput.every((k) => k < 0)) return false;
  const outputs = step.outputs.map((id, m): RawView => {
    const value = program.values[id]!;
    const k = reusedInput[m]!;
    if (k < 0) return allocate(getDeviceEntry(step.device), value.dtype, value.shape!);
    return { storage: inputs[k]!.storage, dtype: value.dtype, shape: value.shape!, strides: contiguousStrides(value.shape!), offset: 0 };
  });
  if (!launchInto(step.op, inputs, step.attrs, outputs)) {
    outputs.forEach((o, m) => reusedInput[m]! < 0 && o.storage.release());
    return false;
  }
  // Each reused buffer changes hands: the reference the plan (or the recording) held is now the output's.
  reusedInput.forEach((k) => {
    if (k < 0) return;
    real.delete(step.inputs[k]!.value);
    run.externals.delete(step.inputs[k]!.value);
  });
  outputs.forEach((o, m) => real.set(step.outputs[m]!, o.storage));
  return true;
}

/** An op result as a storage of its own, contiguous from offset 0 (a decomposition may hand back a view). */
function whole(o: RawView, bytes: number): Storage {
  if (viewIsContiguous(o) && o.offset === 0 && o.storage.bytes === bytes && o.storage.exclusive) return o.storage;
  const copy = runOp("copy", [o])[0]!;
  o.storage.release();
  return copy.storage;
}
