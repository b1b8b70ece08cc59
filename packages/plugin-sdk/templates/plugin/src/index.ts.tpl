import { HAL_VERSION, type DevicePlugin } from "@polychip/hal";
import { __CLASS_NAME__, type __CLASS_NAME__Options } from "./device.ts";
import { kernels } from "./kernels/index.ts";

export { __CLASS_NAME__, type __CLASS_NAME__Options } from "./device.ts";
export { kernels } from "./kernels/index.ts";

/**
 * The HAL entry point: the engine (and the conformance kit) check `halVersion`, call `create`,
 * and register `kernels`. Ops without a kernel here fall back to the CPU device.
 */
export const __PLUGIN_CONST__: DevicePlugin<__CLASS_NAME__Options> = {
  name: "__DEVICE_NAME__",
  halVersion: HAL_VERSION,
  create: (options) => new __CLASS_NAME__(options),
  kernels,
};

export default __PLUGIN_CONST__;
