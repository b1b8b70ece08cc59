export * from "./devices.ts";
export * from "./dispatch.ts";
export * from "./fallback.ts";
export * from "./host.ts";
export * from "./profiler.ts";
export * from "./storage.ts";
export * from "./view.ts";
export { DeviceQueue } from "./device-queue.ts";
