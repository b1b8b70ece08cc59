import type { Attrs } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";

/**
 * The seam between eager ops and `trace`: while a trace is running, every op that creates a tensor
 * reports (op, inputs, attrs, output) here. Eager code pays one branch per op when nothing is traced.
 * This file must stay free of imports with side effects: ops/basic.ts, ops/shape.ts and
 * ops/creation.ts import it.
 */
export interface OpRecorder {
  record(op: string, inputs: readonly Tensor[], attrs: Attrs, output: Tensor): void;
}

let active: OpRecorder | undefined;

export function activeRecorder(): OpRecorder | undefined {
  return active;
}

/** Installs `recorder` (or clears it with undefined); returns the previous one. */
export function setRecorder(recorder: OpRecorder | undefined): OpRecorder | undefined {
  const previous = active;
  active = recorder;
  return previous;
}

/** Reports one op to the running trace, if any. Returns `output` so calls can wrap an expression. */
export function traceOp(op: string, inputs: readonly Tensor[], attrs: Attrs, output: Tensor): Tensor {
  active?.record(op, inputs, attrs, output);
  return output;
}
