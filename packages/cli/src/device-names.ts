import { listDevices } from "@polychip/engine";
import { UsageError } from "./args.ts";

/** Devices the CLI can load by name, before any is loaded: the CPU and the first-party ones. */
const BUILT_IN = ["cpu", "webgpu", "npu-sim"];

/** Every device name --device accepts now: the built-in ones and any a plugin has registered. */
export function knownDevices(): string[] {
  return [...new Set([...BUILT_IN, ...listDevices().map((d) => d.info.name)])];
}

/** Refuses an unknown --device before any work, listing the ones that exist. */
export function checkDeviceName(command: string, name: string): void {
  if (!knownDevices().includes(name)) throw new UsageError(`${command}: unknown device '${name}'; available: ${knownDevices().join(", ")}`);
}
