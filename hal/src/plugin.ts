import type { Device } from "./device.ts";
import type { KernelRegistration } from "./registry.ts";

/**
 * What a device package exports (its HAL entry point): a factory and its one registration list.
 * Loading a plugin = checking `halVersion`, calling `create`, registering `kernels`.
 */
export interface DevicePlugin<Options = Record<string, unknown>> {
  readonly name: string;
  readonly halVersion: string;
  create(options?: Options): Device<any> | Promise<Device<any>>;
  readonly kernels: readonly KernelRegistration<any>[];
  /** Optional whole-subgraph compilation (see hal/README.md, "Two levels"). */
  readonly claimSubgraphs?: (graph: unknown) => unknown;
}
