import { writeSync } from "node:fs";
import { getDeviceEntry, kernels } from "@polychip/engine/core";
import { HAL_VERSION, type Device, type DevicePlugin, type KernelFn, type KernelRegistration } from "@polychip/hal";

/**
 * Faults a device can have, for the fault-injection tests:
 *   throw — the kernel for `op` throws (every time, or for a seeded fraction `rate` of launches);
 *   nan   — the kernel for `op` runs, then its first output element is overwritten with NaN;
 *   hang  — reads never settle (a lost GPU, a dead worker);
 *   loop  — the kernel for `op` never returns (a synchronous infinite loop).
 */
export type Fault = { kind: "throw"; op: string; rate?: number } | { kind: "nan"; op: string } | { kind: "hang" } | { kind: "loop"; op: string };

/** Written to stderr (synchronously) the first time a fault strikes, with the time, so a test can measure what follows. */
export const FAULT_MARK = "fault-injected-at-ms:";
let marked = false;
function mark(): void {
  if (marked) return;
  marked = true;
  writeSync(2, `${FAULT_MARK}${Date.now()}\n`);
}

function faulty(kernel: KernelFn, op: string, fault: Fault): KernelFn {
  if (fault.kind === "hang" || fault.op !== op) return kernel;
  if (fault.kind === "throw") {
    let launches = 0;
    // A fixed pattern rather than Math.random: the same launches fail on every run.
    const fails = () => fault.rate === undefined || (launches++ * 0.6180339887) % 1 < fault.rate;
    return (call, device) => {
      if (fails()) throw new Error(`injected fault: ${op} kernel failed`);
      kernel(call, device);
    };
  }
  if (fault.kind === "nan") {
    return (call, device) => {
      kernel(call, device);
      const out = call.outputs[0]!;
      mark();
      device.write(out.buffer, new Uint8Array(Float32Array.of(NaN).buffer), out.offset * 4);
    };
  }
  return () => {
    mark();
    for (;;); // the fault under test: a kernel that never returns
  };
}

/**
 * A device plugin with the CPU's kernels and memory under another name, registered through the
 * engine's ordinary plugin API, with one fault injected. Without a fault it computes exactly what
 * the CPU does, so results can be compared bit for bit.
 */
export function faultPlugin(name: string, fault: Fault): DevicePlugin {
  const cpu = getDeviceEntry("cpu").device;
  // One registration per (op, dtype): the kernel the CPU itself would pick (a fast kernel for
  // float32 and a reference one for the rest must not be re-registered in an order that flips them).
  const regs: KernelRegistration[] = [];
  for (const op of kernels.ops("cpu")) {
    const wrapped = new Map<KernelFn, KernelFn>(); // one fault counter per op and kernel
    for (const dtype of cpu.capabilities.dtypes) {
      const reg = kernels.find("cpu", op, dtype);
      if (!reg) continue;
      if (!wrapped.has(reg.kernel)) wrapped.set(reg.kernel, faulty(reg.kernel, op, fault));
      regs.push({ device: name, op, dtypes: [dtype], kernel: wrapped.get(reg.kernel)! });
    }
  }
  return {
    name,
    halVersion: HAL_VERSION,
    kernels: regs,
    create(): Device {
      const device: Device = {
        info: { ...cpu.info, name, vendor: "fault injection" },
        capabilities: cpu.capabilities,
        alloc: (b) => cpu.alloc(b),
        free: (b) => cpu.free(b),
        write: (b, d, o) => cpu.write(b, d, o),
        read: (b, o, n) => {
          if (fault.kind !== "hang") return cpu.read(b, o, n);
          mark();
          return new Promise<Uint8Array>(() => {});
        },
        launch: (k, call) => cpu.launch(k, call),
        sync: () => cpu.sync(),
      };
      if (fault.kind !== "hang") device.readSync = (b, o, n) => cpu.readSync!(b, o, n);
      return device;
    },
  };
}

/** POLYCHIP_FAULT=throw:matmul[:rate] | nan:relu | hang | loop:relu, as read by the preload the CLI tests use. */
export function faultFromSpec(spec: string): Fault {
  const [kind, op = "", rate] = spec.split(":");
  if (kind === "throw") return { kind, op, ...(rate ? { rate: Number(rate) } : {}) };
  if (kind === "nan" || kind === "loop") return { kind, op };
  if (kind === "hang") return { kind };
  throw new Error(`POLYCHIP_FAULT: unknown fault '${spec}' (throw:OP[:RATE], nan:OP, hang, loop:OP)`);
}
