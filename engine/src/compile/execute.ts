import { contiguousStrides, dtypeBytes, KernelError, PolychipError, sizeOf, type Attrs, type DType } from "@polychip/hal";
import { getDeviceEntry } from "../core/devices.ts";
import { allocate, copyInto, fromHost, launchInto, runOp } from "../core/dispatch.ts";
import type { Storage } from "../core/storage.ts";
import { viewIsContiguous, type RawView } from "../core/view.ts";
import type { FusedStep, Plan } from "./plan.ts";
import type { StepProgram, ValueRef } from "./program.ts";
import type { StepRecorder } from "./recorder.ts";

/**
 * Runs a plan on the storages of one recording: the recording's external storages and its
 * attributes (a scalar's value, a seed), the plan's order, fusion and frees. At the end every
 * pending storage a tensor still holds adopts the buffer computed for it.
 */
export function execute(plan: Plan, program: StepProgram, recorder: StepRecorder): { inPlace: number } {
  let inPlace = 0;
  const real = new Map<number, Storage>(recorder.externals);
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
        if (step.op === "fused" && runInPlace(plan, program, recorder, real, step, i, inputs)) inPlace++;
        else produced(step.outputs, runOp(step.op, inputs, step.attrs, step.device));
      } else {
        const n = program.nodes[step.node]!;
        if (n.write) copyInto(getDeviceEntry(n.device), view(n.inputs[0]!), view(n.write));
        else if (isSmallFill(n.op, n.attrs)) produced(n.outputs, [uploadFill(n.attrs, n.device)]);
        else produced(n.outputs, runOp(n.op, n.inputs.map(view), n.attrs, n.device));
      }
      for (const v of plan.releaseAfter[i]!) {
        real.get(v)?.release();
        real.delete(v);
      }
    });
    for (const id of plan.outputs) {
      const storage = real.get(id)!;
      recorder.pending.get(id)!.adopt(storage);
      real.delete(id);
    }
    return { inPlace };
  } catch (err) {
    for (const [id, s] of real) if (!recorder.externals.has(id)) s.release();
    if (err instanceof PolychipError) throw err;
    throw new KernelError(`compile: running the compiled plan failed: ${(err as Error)?.message ?? err}`, err);
  }
}

/**
 * Runs a fused step writing over inputs it reads for the last time (an optimiser's parameter and
 * moments, an activation's gradient) where it can: same dtype, shape and contiguous layout, read
 * only through that one view, held by nobody else. Each element is read before the same element is
 * written, so the update is safe in place. False, having changed nothing, when no buffer can be
 * reused or the device runs the step some other way.
 */
function runInPlace(
  plan: Plan,
  program: StepProgram,
  recorder: StepRecorder,
  real: Map<number, Storage>,
  step: FusedStep,
  index: number,
  inputs: readonly RawView[],
): boolean {
  const reusedInput = step.outputs.map(() => -1);
  step.outputs.forEach((id, m) => {
    const value = program.values[id]!;
    reusedInput[m] = step.inputs.findIndex((r, j) => {
      const v = inputs[j]!;
      return (
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
  if (!launchInto("fused", inputs, step.attrs, outputs)) {
    outputs.forEach((o, m) => reusedInput[m]! < 0 && o.storage.release());
    return false;
  }
  // Each reused buffer changes hands: the reference the plan (or the recording) held is now the output's.
  reusedInput.forEach((k) => {
    if (k < 0) return;
    real.delete(step.inputs[k]!.value);
    recorder.externals.delete(step.inputs[k]!.value);
  });
  outputs.forEach((o, m) => real.set(step.outputs[m]!, o.storage));
  return true;
}

/** Scalars and other tiny fills (a learning rate, Adam's bias correction) are written from the host: no kernel launch. */
const SMALL_FILL = 64;

function isSmallFill(op: string, attrs: Attrs): boolean {
  return op === "fill" && sizeOf(attrs.shape as number[]) <= SMALL_FILL;
}

function uploadFill(attrs: Attrs, device: string): RawView {
  const shape = attrs.shape as number[];
  return fromHost(new Array<number>(sizeOf(shape)).fill(attrs.value as number), shape, (attrs.dtype as DType | undefined) ?? "float32", device);
}

/** An op result as a storage of its own, contiguous from offset 0 (a decomposition may hand back a view). */
function whole(o: RawView, bytes: number): Storage {
  if (viewIsContiguous(o) && o.offset === 0 && o.storage.bytes === bytes && o.storage.exclusive) return o.storage;
  const copy = runOp("copy", [o])[0]!;
  o.storage.release();
  return copy.storage;
}
