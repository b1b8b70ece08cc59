import { DeviceError } from "@polychip/hal";
import { noAdapterMessage } from "./gpu-loader.ts";

const WANTED_FEATURES: readonly GPUFeatureName[] = ["shader-f16", "subgroups", "timestamp-query"] as GPUFeatureName[];

/**
 * An adapter and a device from it, asking for the features Polychip can use and for the adapter's
 * own limits rather than WebGPU's defaults (larger buffers and bindings than the 128 MiB default).
 */
export async function requestGpuDevice(gpu: GPU, powerPreference: GPUPowerPreference): Promise<{ device: GPUDevice; adapterInfo: GPUAdapterInfo }> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference });
  } catch (err) {
    throw new DeviceError(`no WebGPU adapter: requestAdapter() failed: ${(err as Error).message}`);
  }
  if (!adapter) throw new DeviceError(noAdapterMessage());
  const features = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxBufferSize: a.maxBufferSize,
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits, label: "polychip" });
  } catch (err) {
    throw new DeviceError(`webgpu: requestDevice() failed: ${(err as Error).message}`);
  }
  return { device, adapterInfo: adapter.info };
}
