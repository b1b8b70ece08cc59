/**
 * The devices a run can use, as the worker sees them: cpu always; webgpu and npu-sim when their
 * packages are in the build and they initialise here. A device that cannot be had is reported
 * with the reason, never stood in for by another one.
 */
import { listDevices, registerPlugin } from "@polychip/engine";
import { allOps, type Device, type DevicePlugin } from "@polychip/hal";
import type { DeviceReport } from "./protocol.ts";
import { loadOptionalPackage, optionalPresent, type OptionalId } from "./optional.ts";

const PLUGGABLE: { name: string; id: OptionalId; preferredExport: string }[] = [
  { name: "webgpu", id: "webgpu", preferredExport: "webgpuPlugin" },
  { name: "npu-sim", id: "npu-sim", preferredExport: "npuSimPlugin" },
];

function isPlugin(v: unknown): v is DevicePlugin<unknown> {
  const p = v as DevicePlugin<unknown> | undefined;
  return (
    !!p && typeof p === "object" && typeof p.name === "string" && typeof p.halVersion === "string" && typeof p.create === "function" && Array.isArray(p.kernels)
  );
}

/** Primitive ops a plugin registers no kernel for (composites decompose into primitives on the device). */
function primitivesWithoutKernel(plugin: DevicePlugin<unknown>): string[] {
  const covered = new Set(plugin.kernels.map((k) => k.op));
  return allOps()
    .filter((op) => op.kind === "primitive" && !covered.has(op.name))
    .map((op) => op.name)
    .sort();
}

const pluginOf = new Map<string, DevicePlugin<unknown>>();

function report(device: Device): DeviceReport {
  const { info, capabilities } = device;
  const plugin = pluginOf.get(info.name);
  const software = (device as { softwareAdapter?: unknown }).softwareAdapter;
  const limits: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(capabilities.limits)) if (v !== undefined) limits[k] = Number.isFinite(v) ? v : "unbounded";
  return {
    name: info.name,
    available: true,
    kind: info.kind,
    vendor: info.vendor,
    details: { ...(info.details ?? {}) },
    features: [...capabilities.features],
    dtypes: [...capabilities.dtypes],
    limits,
    noKernel: plugin ? primitivesWithoutKernel(plugin) : [],
    softwareAdapter: typeof software === "boolean" ? software : undefined,
  };
}

function browserFacts(): Record<string, string | number | boolean> {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return {
    crossOriginIsolated: !!g.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === "function",
    hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 0,
  };
}

const pending = new Map<string, Promise<Device>>();

/** Registers the named device in this worker's engine (once) and returns it. */
export function ensureDevice(name: string): Promise<Device> {
  const existing = listDevices().find((d) => d.info.name === name);
  if (existing) return Promise.resolve(existing);
  const spec = PLUGGABLE.find((p) => p.name === name);
  if (!spec) return Promise.reject(new Error(`unknown device '${name}'; the studio knows cpu, ${PLUGGABLE.map((p) => p.name).join(", ")}`));
  let p = pending.get(name);
  if (!p) {
    p = (async () => {
      const mod = await loadOptionalPackage(spec.id);
      const plugin = [mod[spec.preferredExport], mod.default, mod.plugin, ...Object.values(mod)].find(isPlugin);
      if (!plugin) throw new Error(`${spec.id}: the package exports no HAL device plugin`);
      if (name === "webgpu" && !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
        throw new Error(
          "this browser gives workers no WebGPU (navigator.gpu is missing; Chromium needs WebGPU enabled, e.g. --enable-unsafe-webgpu without a GPU)",
        );
      }
      pluginOf.set(name, plugin);
      return registerPlugin(plugin);
    })();
    p.catch(() => pending.delete(name));
    pending.set(name, p);
  }
  return p;
}

export async function describeDevices(): Promise<DeviceReport[]> {
  const cpu = listDevices().find((d) => d.info.name === "cpu")!;
  const cpuReport = report(cpu);
  cpuReport.details = { ...cpuReport.details, ...browserFacts() };
  const out: DeviceReport[] = [cpuReport];
  for (const spec of PLUGGABLE) {
    const presence = optionalPresent(spec.id);
    if (!presence.present) {
      out.push({ name: spec.name, available: false, reason: presence.reason, details: {}, features: [], dtypes: [], limits: {} });
      continue;
    }
    try {
      out.push(report(await ensureDevice(spec.name)));
    } catch (err) {
      out.push({ name: spec.name, available: false, reason: (err as Error).message, details: {}, features: [], dtypes: [], limits: {} });
    }
  }
  return out;
}
