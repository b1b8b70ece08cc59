import { isFloat } from "@polychip/hal";
import { activeLazyRecorder } from "../core/lazy-hook.ts";
import type { Storage } from "../core/storage.ts";
import { full } from "../ops/creation.ts";
import type { Tensor } from "../tensor.ts";

/**
 * What code inside a step tells `compile` so that `replay` (running the captured plan without
 * calling the step's function again) stays exact: host state the step changes (an optimiser's step
 * count) and scalars it computes from host state (a scheduled learning rate, Adam's bias
 * correction). Outside a compiled step both are plain eager code.
 */
export interface ReplayAware {
  /** `action` is run again, in order, each time the step is replayed. */
  onReplay(action: () => void): void;
  /** The `fill` op that made `storage` takes its value from `read()` each time the step is replayed. */
  markLive(storage: Storage, read: () => number): void;
  /** A replay first checks that `read()` still gives `value`; when it does not, the call records the step again. */
  guard(read: () => string, value: string): void;
}

function replayAware(): ReplayAware | undefined {
  const recorder = activeLazyRecorder();
  return recorder && "markLive" in recorder ? (recorder as unknown as ReplayAware) : undefined;
}

/** A scalar tensor (mixing with `like` as a number would) whose value a replayed step reads again from `read`. */
export function liveScalar(like: Tensor, read: () => number): Tensor {
  const dtype = isFloat(like.dtype) ? like.dtype : "float32";
  const t = full([], read(), { dtype, device: like.device });
  replayAware()?.markLive(t.view.storage, read);
  return t;
}

/** Host-side bookkeeping the step does (e.g. `state.step++`): done now, and again on every replay of the step. */
export function hostStep(action: () => void): void {
  // A host step inside another (SequentialLR stepping its inner scheduler) is replayed by the outer one.
  const outermost = hostStepDepth === 0;
  hostStepDepth++;
  try {
    action();
  } finally {
    hostStepDepth--;
  }
  if (outermost) replayAware()?.onReplay(action);
}

let hostStepDepth = 0;

/**
 * Host values the step's ops depend on but does not read live (an optimiser's momentum, betas,
 * weight decay): a replay whose `read()` differs from the recorded one records the step instead.
 */
export function hostGuard(read: () => string): void {
  replayAware()?.guard(read, read());
}
