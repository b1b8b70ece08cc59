import type { RawView } from "./view.ts";

/**
 * Sees every op the dispatcher ran, with its inputs and the outputs it produced (the outputs are
 * queued on the device, not necessarily computed yet). One observer at a time: anomaly detection
 * uses it to find the first op that produced a non-finite value.
 */
export type OpObserver = (op: string, inputs: readonly RawView[], outputs: readonly RawView[]) => void;

let current: OpObserver | undefined;

/** Installs `observer` (or removes it with undefined); returns the one it replaced. */
export function setOpObserver(observer: OpObserver | undefined): OpObserver | undefined {
  const previous = current;
  current = observer;
  return previous;
}

export function observeOp(op: string, inputs: readonly RawView[], outputs: readonly RawView[]): void {
  current?.(op, inputs, outputs);
}

/** Whether an observer is installed (a session's planned run, which skips the dispatcher, then runs op by op). */
export function hasOpObserver(): boolean {
  return current !== undefined;
}
