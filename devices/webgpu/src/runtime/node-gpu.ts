/**
 * Node-only: WebGPU through Dawn (the `webgpu` npm package). Loaded with a dynamic import by
 * gpu-loader.ts, never imported statically, so the core stays importable in browsers.
 */
import { DeviceError } from "@polychip/hal";

let instance: GPU | undefined;

export async function nodeGpu(): Promise<GPU> {
  if (instance) return instance;
  let mod: { create(flags: string[]): GPU };
  try {
    mod = (await import("webgpu")) as unknown as { create(flags: string[]): GPU };
  } catch (err) {
    throw new DeviceError(`no WebGPU adapter: the 'webgpu' package (Dawn for Node) could not be loaded: ${(err as Error).message}`);
  }
  instance = mod.create([]);
  return instance;
}
