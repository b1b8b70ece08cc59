import type { DType } from "./dtype.ts";
import type { DeviceBuffer, KernelFn } from "./device.ts";
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
