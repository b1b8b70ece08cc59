import { HAL_VERSION, type DevicePlugin } from "@polychip/hal";
import { TemplateDevice, type TemplateDeviceOptions } from "./device.ts";
import { kernels } from "./kernels/index.ts";

export { TemplateDevice, type TemplateDeviceOptions } from "./device.ts";
export { kernels } from "./kernels/index.ts";

/**
 * The HAL entry point: the engine (and the conformance kit) check `halVersion`, call `create`,
 * and register `kernels`. Ops without a kernel here fall back to the CPU device.
 */
export const templatePlugin: DevicePlugin<TemplateDeviceOptions> = {
  name: "template",
  halVersion: HAL_VERSION,
  create: (options) => new TemplateDevice(options),
  kernels,
};

export default templatePlugin;
