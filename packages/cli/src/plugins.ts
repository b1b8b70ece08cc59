import "@polychip/devices";
import { DeviceError, loadableDevices, listDevices, loadPlugin } from "@polychip/engine/runtime";

/** The `--plugin <package|path>` option (repeatable) for node:util parseArgs. */
export const PLUGIN_OPTION = { plugin: { type: "string", multiple: true } } as const;

const known = (name: string) => listDevices().some((d) => d.info.name === name) || loadableDevices().includes(name);

/**
 * Loads every `--plugin` (a package name, a relative or absolute path, or a package directory,
 * resolved from `from`, the working directory) and returns the name of the device to run on.
 * `--device` is a device name, or itself a package or path: then its plugin is loaded and the
 * device it declares is used. An unknown name lists the devices there are and how to load one.
 */
export async function deviceFromArgs(device: string, plugins: readonly string[] = [], from = process.cwd()): Promise<string> {
  for (const plugin of plugins) await loadPlugin(plugin, { from });
  if (known(device)) return device;
  try {
    return (await loadPlugin(device, { from })).info.name;
  } catch (err) {
    const available = [...new Set([...listDevices().map((d) => d.info.name), ...loadableDevices()])].join(", ");
    throw new DeviceError(
      `unknown device '${device}'; available: ${available}. Load a plugin's device with --plugin <package|path> --device <its name>, ` +
        `or pass the plugin's package or path as --device (trying '${device}' as one: ${(err as Error).message})`,
    );
  }
}
