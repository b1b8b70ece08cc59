import type { DType } from "./dtype.ts";
import type { DeviceBuffer, KernelFn } from "./device.ts";
import { DeviceError } from "./errors.ts";
import { getOp } from "./ops/index.ts";

/**
 * One kernel for one op on one device. `dtypes` lists the dtypes of the op's first input (the
 * output for ops without inputs) the kernel accepts, or "*" for all the device supports.
 */
export interface KernelRegistration<B extends DeviceBuffer = DeviceBuffer> {
  readonly device: string;
  readonly op: string;
  readonly dtypes: readonly DType[] | "*";
  readonly kernel: KernelFn<B>;
}

/** Kernels keyed by (device, op, dtype). Later registrations for the same key win, so a fast path can replace a reference kernel. */
export class KernelRegistry {
  private readonly table = new Map<string, Map<string, KernelRegistration<any>[]>>();

  register(reg: KernelRegistration<any>): void {
    getOp(reg.op); // throws UnsupportedOpError for names the HAL does not define
    let byOp = this.table.get(reg.device);
    if (!byOp) this.table.set(reg.device, (byOp = new Map()));
    const list = byOp.get(reg.op) ?? [];
    list.unshift(reg);
    byOp.set(reg.op, list);
  }

  registerAll(regs: readonly KernelRegistration<any>[]): void {
    for (const r of regs) this.register(r);
  }

  /**
   * Registers one plugin's whole list for its device, replacing what that device had, after
   * checking it: every registration must name `device` (a plugin cannot add or replace kernels of
   * another device, `cpu` included), and none may be shadowed entirely by a later one for the same
   * op (a duplicate: the earlier kernel could never run). Nothing is registered when a check fails.
   */
  registerDevice(device: string, owner: string, regs: readonly KernelRegistration<any>[]): void {
    regs.forEach((r, i) => {
      if (r.device !== device) {
        throw new DeviceError(
          `plugin '${owner}' may register kernels only for its own device '${device}', but its kernel #${i} ('${r.op}') is registered for device '${r.device}'`,
        );
      }
      getOp(r.op);
    });
    regs.forEach((r, i) => {
      const j = regs.findIndex((later, k) => k > i && later.op === r.op && covers(later.dtypes, r.dtypes));
      if (j >= 0) {
        throw new DeviceError(
          `plugin '${owner}' registers '${r.op}' on device '${device}' twice: kernel #${j} (dtypes ${describeDTypes(regs[j]!.dtypes)}) replaces all of kernel #${i} (dtypes ${describeDTypes(r.dtypes)})`,
        );
      }
    });
    this.unregisterDevice(device);
    this.registerAll(regs);
  }

  find(device: string, op: string, dtype: DType): KernelRegistration<any> | undefined {
    const list = this.table.get(device)?.get(op);
    return list?.find((r) => r.dtypes === "*" || r.dtypes.includes(dtype));
  }

  /** Op names that have at least one kernel on `device`. */
  ops(device: string): string[] {
    return [...(this.table.get(device)?.keys() ?? [])].sort();
  }

  unregisterDevice(device: string): void {
    this.table.delete(device);
  }
}

/** Whether every dtype `earlier` serves is also served by `later`. */
function covers(later: readonly DType[] | "*", earlier: readonly DType[] | "*"): boolean {
  if (later === "*") return true;
  return earlier !== "*" && earlier.every((d) => later.includes(d));
}

const describeDTypes = (dtypes: readonly DType[] | "*") => (dtypes === "*" ? "*" : dtypes.join(", "));
