import type { Device } from "@polychip/hal";

/**
 * A simulated device's own clock (npu-sim's `simulatedTimeMs`: kernels plus host transfers by its
 * cost model), or undefined for a real device, whose time is the wall clock. Read structurally: the
 * CLI knows no plugin's class, and the HAL leaves simulation to the plugin.
 */
export function simulatedClockMs(device: Device): number | undefined {
  const clock = (device as { simulatedTimeMs?: unknown }).simulatedTimeMs;
  return typeof clock === "number" && Number.isFinite(clock) ? clock : undefined;
}
