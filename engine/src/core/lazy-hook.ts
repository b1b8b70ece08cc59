import type { Attrs } from "@polychip/hal";
import type { RawView } from "./view.ts";

/**
 * The seam between the dispatcher and `compile`: while a compiled function's code runs, every op
 * is handed to the recorder instead of a device. It answers with views of *pending* storages
 * (shapes and dtypes only); the compiled plan computes their values once the code has finished.
 */
export interface LazyRecorder {
  runOp(op: string, inputs: readonly RawView[], attrs: Attrs, device?: string): RawView[];
  /** A write of `src` into the (strided) region `dst` of an existing storage. */
  copyInto(src: RawView, dst: RawView): void;
}

let active: LazyRecorder | undefined;

export function activeLazyRecorder(): LazyRecorder | undefined {
  return active;
}

/** Installs `recorder` (or clears it with undefined); returns the previous one. */
export function setLazyRecorder(recorder: LazyRecorder | undefined): LazyRecorder | undefined {
  const previous = active;
  active = recorder;
  return previous;
}
