import { DeviceError } from "@polychip/hal";

/** Kept in a variable so bundlers do not pull the Node-only Dawn loader into browser builds. */
const NODE_LOADER = "./node-gpu.ts";

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string";
}

/** `navigator.gpu` in browsers and workers; Dawn (the `webgpu` npm package) in Node. */
export async function loadGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) {
    const loader = (await import(/* @vite-ignore */ NODE_LOADER)) as { nodeGpu(): Promise<GPU> };
    return loader.nodeGpu();
  }
  throw new DeviceError(
    "no WebGPU adapter: navigator.gpu is missing (this browser or worker has no WebGPU, it is disabled, or the page is not a secure context)",
  );
}

/** Why an adapter request gave nothing, with what to try. */
export function noAdapterMessage(): string {
  const hint = isNode()
    ? "in Node, Dawn needs a Vulkan driver: install libvulkan1 and a Vulkan ICD (e.g. `apt-get install chromium libvulkan1` and " +
      "set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json for the SwiftShader software adapter)"
    : "the browser found no usable GPU (Chromium without a GPU needs --enable-unsafe-webgpu for its SwiftShader adapter)";
  return `no WebGPU adapter: requestAdapter() returned null; ${hint}`;
}
