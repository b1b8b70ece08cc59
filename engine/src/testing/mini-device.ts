import { CpuDevice, cpuKernels } from "@polychip/device-cpu";
import { getOp, HAL_VERSION, type Device, type DeviceLimits, type DevicePlugin, type KernelRegistration } from "@polychip/hal";

/**
 * A test device: the CPU's memory and kernels under another name, registering only the kernels
 * chosen. Lets tests exercise decomposition and fallback without a real accelerator.
 */
export function miniPlugin(opts: {
  name: string;
  keep: (op: string) => boolean;
  syncRead?: boolean;
  halVersion?: string;
  throwOn?: string;
  limits?: Partial<DeviceLimits>;
}): DevicePlugin {
  const kernels: KernelRegistration[] = cpuKernels
    .filter((k) => opts.keep(k.op))
    .map((k) => ({
      ...k,
      device: opts.name,
      kernel:
        opts.throwOn === k.op
          ? () => {
              throw new Error(`simulated failure in ${k.op}`);
            }
          : k.kernel,
    })) as KernelRegistration[];
  return {
    name: opts.name,
    halVersion: opts.halVersion ?? HAL_VERSION,
    kernels,
    create(): Device {
      const inner = new CpuDevice();
      const device: Device = {
        info: { ...inner.info, name: opts.name, vendor: "test", halVersion: opts.halVersion ?? HAL_VERSION },
        capabilities: { ...inner.capabilities, limits: { ...inner.capabilities.limits, ...opts.limits } },
        alloc: (b) => inner.alloc(b),
        free: (b) => inner.free(b as never),
        write: (b, d, o) => inner.write(b as never, d, o),
        read: async (b, o, n) => {
          await new Promise((r) => setTimeout(r, 1)); // a genuinely asynchronous readback, like WebGPU's mapAsync
          return inner.read(b as never, o, n);
        },
        launch: (k, call) => inner.launch(k as never, call as never),
        sync: () => inner.sync(),
      };
      if (opts.syncRead) device.readSync = (b, o, n) => inner.readSync(b as never, o, n);
      return device;
    },
  };
}

export const isPrimitive = (op: string) => getOp(op).kind === "primitive";
