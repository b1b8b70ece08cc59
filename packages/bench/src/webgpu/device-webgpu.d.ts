/** The virtual module the WebGPU bundle resolves to @polychip/device-webgpu's plugin, or to undefined when that package is missing. */
declare module "bench:device-webgpu" {
  export const plugin: import("@polychip/hal").DevicePlugin<any> | undefined;
}
