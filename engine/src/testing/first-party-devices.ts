// Engine tests load webgpu and npu-sim by name, as an application does after importing
// @polychip/devices (which the engine cannot depend on: it depends on the engine).
import { registerDeviceLoader } from "../core/devices.ts";

registerDeviceLoader("webgpu", () => import("@polychip/device-webgpu"));
registerDeviceLoader("npu-sim", () => import("@polychip/npu-sim"));
