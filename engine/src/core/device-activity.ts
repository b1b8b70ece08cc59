import type { KernelCall } from "@polychip/hal";

/**
 * Who is told which kernel a device is running right now (a watchdog that must name the kernel if
 * it never returns). Only one listener; nothing is computed while there is none.
 */
export type ActivityListener = (device: string, call: KernelCall | undefined) => void;

let listener: ActivityListener | undefined;

export function setActivityListener(next: ActivityListener | undefined): ActivityListener | undefined {
  const previous = listener;
  listener = next;
  return previous;
}

export function activityListener(): ActivityListener | undefined {
  return listener;
}
