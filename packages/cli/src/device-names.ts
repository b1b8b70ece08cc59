import { DeviceError } from "@polychip/hal";
import { UsageError } from "./args.ts";
import { deviceFromArgs } from "./plugins.ts";

/**
 * The device a command runs on, checked before any work: loads every --plugin, then accepts a
 * device name, or a plugin's package or path. An unknown name is a usage error listing the
 * devices there are and how to load a plugin's.
 */
export async function resolveDevice(command: string, name: string, plugins: readonly string[] = []): Promise<string> {
  try {
    return await deviceFromArgs(name, plugins);
  } catch (err) {
    if (err instanceof DeviceError && err.message.startsWith("unknown device")) throw new UsageError(`${command}: ${err.message}`);
    throw err;
  }
}
