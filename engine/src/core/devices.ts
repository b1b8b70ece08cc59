import { cpuPlugin } from "@polychip/device-cpu";
import { assertHalCompatible, DeviceError, KernelRegistry, type Device, type DevicePlugin, type DType } from "@polychip/hal";
import { DeviceQueue } from "./device-queue.ts";
import { profiler } from "./profiler.ts";

export interface DeviceEntry {
  readonly name: string;
  readonly device: Device<any>;
  readonly queue: DeviceQueue;
  readonly plugin: DevicePlugin<any>;
}

/** Kernels of every registered device, keyed by (device, op, dtype). */
export const kernels = new KernelRegistry();
const entries = new Map<string, DeviceEntry>();
let defaultName = "cpu";

/** Imports a device plugin's module on first use. */
export type DeviceLoader = () => Promise<Record<string, unknown>>;

/**
 * Devices that can be loaded by name (`useDevice("webgpu")`), beyond plugins given by path. The
 * engine knows none but its cpu device: an application registers the ones it ships
 * (`@polychip/devices` does for webgpu and npu-sim), with literal imports bundlers can see.
 */
const loaders = new Map<string, DeviceLoader>();

export function registerDeviceLoader(name: string, load: DeviceLoader): void {
  loaders.set(name, load);
}

/** Names of the devices registered to load on use. */
export function loadableDevices(): string[] {
  return [...loaders.keys()];
}

function ensureCpu(): void {
  if (!entries.has("cpu")) addDevice(cpuPlugin, cpuPlugin.create() as Device<any>);
}

/**
 * Adds a created device and its plugin's kernels. A plugin owns its device's name: another plugin
 * cannot take it over (the cpu device included), and its kernels must all be for that device
 * (KernelRegistry.registerDevice checks them, and duplicates).
 */
function addDevice(plugin: DevicePlugin<any>, device: Device<any>): DeviceEntry {
  assertHalCompatible(`device '${device.info.name}'`, device.info.halVersion);
  const owner = entries.get(device.info.name)?.plugin;
  if (owner && owner !== plugin && owner.name !== plugin.name) {
    throw new DeviceError(
      `plugin '${plugin.name}' creates a device named '${device.info.name}', which plugin '${owner.name}' already provides; a plugin cannot replace another's device`,
    );
  }
  const entry: DeviceEntry = { name: device.info.name, device, queue: new DeviceQueue(device), plugin };
  kernels.registerDevice(entry.name, plugin.name, plugin.kernels);
  entries.set(entry.name, entry);
  attachSink(entry, profiler.recording);
  return entry;
}

/** Registers a device plugin: checks its HAL version, creates the device, registers its kernels. */
export async function registerPlugin<O>(plugin: DevicePlugin<O>, options?: O): Promise<Device<any>> {
  if (!plugin || typeof plugin.create !== "function" || !Array.isArray(plugin.kernels)) {
    throw new DeviceError(`not a device plugin: expected an object with name, halVersion, create() and kernels`);
  }
  assertHalCompatible(`plugin '${plugin.name}'`, plugin.halVersion);
  ensureCpu();
  const device = await plugin.create(options);
  try {
    return addDevice(plugin, device).device;
  } catch (err) {
    await device.dispose?.();
    throw err;
  }
}

export function getDeviceEntry(name?: string): DeviceEntry {
  ensureCpu();
  const key = name ?? defaultName;
  const entry = entries.get(key);
  if (!entry) {
    const hint = loaders.get(key) ? ` (load it first: await useDevice('${key}'))` : "";
    throw new DeviceError(
      `unknown device '${key}'${hint}; available: ${[...entries.keys()].join(", ")}; loaded on use: ${loadableDevices().join(", ") || "none registered"}; ` +
        `a plugin's device is known by its name once loaded: loadPlugin('<package or path>'), or --plugin <package|path> on the command line`,
    );
  }
  return entry;
}

export function listDevices(): Device<any>[] {
  ensureCpu();
  return [...entries.values()].map((e) => e.device);
}

export function setDefaultDevice(name: string): void {
  getDeviceEntry(name);
  defaultName = name;
}

export function defaultDevice(): string {
  return defaultName;
}

/**
 * Where work a device cannot do goes, chosen by capability rather than by name: the first
 * registered device other than `from` whose memory the host reads synchronously and that has a
 * kernel for (op, dtype) — the cpu device, registered first and complete, in practice.
 */
export function fallbackTarget(from: DeviceEntry, op: string, dtype: DType): DeviceEntry | undefined {
  ensureCpu();
  return [...entries.values()].find((e) => e !== from && e.device.readSync !== undefined && findKernel(e, op, dtype) !== undefined);
}

/** The device of last resort (the first host-readable one): nothing falls back from it, its kernel errors are final. */
export function isLastResort(entry: DeviceEntry): boolean {
  ensureCpu();
  return entry === [...entries.values()].find((e) => e.device.readSync !== undefined);
}

/** The device supports `dtype` and has a kernel for `op` at that dtype. */
export function findKernel(entry: DeviceEntry, op: string, dtype: DType) {
  if (!entry.device.capabilities.dtypes.includes(dtype)) return undefined;
  return kernels.find(entry.name, op, dtype);
}

/** Whether loaded device `device` (default: the default device) runs `op` at `dtype` with a kernel of its own, not a decomposition or a fallback. */
export function hasKernel(op: string, dtype: DType = "float32", device?: string): boolean {
  return findKernel(getDeviceEntry(device), op, dtype) !== undefined;
}

/**
 * A loaded device by name, else loads one: a first-party name ("webgpu", "npu-sim") or a plugin by
 * package name or path, resolved from the working directory.
 */
export async function useDevice<O>(nameOrSpecifier: string, options?: O): Promise<Device<any>> {
  ensureCpu();
  const existing = entries.get(nameOrSpecifier);
  if (existing) return existing.device;
  return loadPlugin(nameOrSpecifier, { options });
}

/** Devices time their kernels only while someone listens: timing costs (GPU timestamp queries). */
function attachSink(entry: DeviceEntry, on: boolean): void {
  entry.device.setEventSink?.(on ? (e) => profiler.emit(e) : undefined);
}

profiler.onRecordingChange((on) => {
  for (const entry of entries.values()) attachSink(entry, on);
});

export interface LoadPluginOptions<O> {
  /** Where a package name or relative path resolves from: the caller's directory (default: the working directory). */
  readonly from?: string;
  /** Options for the plugin's create(). */
  readonly options?: O;
}

/**
 * Loads a device plugin and registers its device, which is then known by the name the plugin's
 * device declares. The specifier is a first-party device name, a package name, a relative or
 * absolute path to a module file, or a directory with a package.json; packages and relative paths
 * resolve from `from` (the working directory by default), never from the engine's own file.
 */
export async function loadPlugin<O>(specifier: string, opts: LoadPluginOptions<O> = {}): Promise<Device<any>> {
  const firstParty = loaders.get(specifier);
  const from = opts.from ?? (typeof process === "undefined" ? undefined : process.cwd());
  let plugin: DevicePlugin<any>;
  try {
    plugin = firstParty ? entryPointOf(await firstParty(), specifier) : await importPlugin(specifier, from);
  } catch (err) {
    throw new DeviceError(`cannot load device plugin '${specifier}'${from && !firstParty ? ` (resolved from ${from})` : ""}: ${(err as Error).message}`);
  }
  return registerPlugin(plugin, opts.options);
}

/**
 * In Node, the SDK's resolver finds the module (package, file or package directory) from `from`;
 * elsewhere (a bundle) the specifier is imported as it is. The resolver's name is not a literal so
 * bundlers do not pull Node's fs into browser builds.
 */
async function importPlugin(specifier: string, from: string | undefined): Promise<DevicePlugin<any>> {
  if (from === undefined) return entryPointOf((await import(/* @vite-ignore */ specifier)) as Record<string, unknown>, specifier);
  const resolver = "@polychip/plugin-sdk/resolve";
  const { loadPlugin: importFrom } = (await import(/* @vite-ignore */ resolver)) as { loadPlugin: (spec: string, cwd: string) => Promise<DevicePlugin<any>> };
  return importFrom(specifier, from);
}

function entryPointOf(mod: Record<string, unknown>, specifier: string): DevicePlugin<any> {
  const plugin = [mod.default, mod.plugin, ...Object.values(mod)].find(isPlugin);
  if (!plugin) throw new DeviceError(`'${specifier}' has no HAL entry point: it must export a DevicePlugin {name, halVersion, create, kernels}`);
  return plugin;
}

function isPlugin(v: unknown): v is DevicePlugin<any> {
  const p = v as DevicePlugin<any> | undefined;
  return (
    !!p && typeof p === "object" && typeof p.name === "string" && typeof p.halVersion === "string" && typeof p.create === "function" && Array.isArray(p.kernels)
  );
}

/** Removes a device (after loss, or on shutdown); tensors on it become unusable. */
export async function removeDevice(name: string): Promise<void> {
  const entry = entries.get(name);
  if (!entry || name === "cpu") return;
  entries.delete(name);
  kernels.unregisterDevice(name);
  if (defaultName === name) defaultName = "cpu";
  await entry.device.dispose?.();
}
