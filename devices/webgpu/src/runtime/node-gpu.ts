/**
 * Node-only: WebGPU through Dawn (the `webgpu` npm package). Loaded with a dynamic import by
 * gpu-loader.ts, never imported statically, so the core stays importable in browsers.
 */
import { DeviceError } from "@polychip/hal";

let instance: GPU | undefined;

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/**
 * On a machine with no GPU (no /dev/dri render node, no /dev/nvidia*), point Vulkan at Chromium's
 * SwiftShader (Dawn refuses Debian's lavapipe). A machine with a GPU, or an explicit
 * VK_ICD_FILENAMES, is left alone.
 */
async function chooseVulkanDriver(): Promise<void> {
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return;
  const { existsSync, readdirSync } = await import("node:fs");
  if (!existsSync(SWIFTSHADER_ICD)) return;
  const renderNodes = existsSync("/dev/dri") ? readdirSync("/dev/dri").filter((f) => f.startsWith("renderD")) : [];
  const nvidia = readdirSync("/dev").filter((f) => /^nvidia\d/.test(f));
  if (renderNodes.length === 0 && nvidia.length === 0) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

/**
 * Vulkan drivers probe for a Wayland display, and libwayland-client prints "XDG_RUNTIME_DIR is
 * invalid or not set" to stderr when the variable is missing (a headless server, CI). Giving the
 * process a private runtime directory, only when it has none, keeps that line out of every command.
 */
async function ensureRuntimeDir(): Promise<void> {
  if (process.env.XDG_RUNTIME_DIR) return;
  const [{ mkdirSync }, { tmpdir }, { join }] = await Promise.all([import("node:fs"), import("node:os"), import("node:path")]);
  const dir = join(tmpdir(), `polychip-runtime-${process.getuid?.() ?? "user"}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  } catch {
    /* only a cosmetic warning is at stake */
  }
}

export async function nodeGpu(): Promise<GPU> {
  if (instance) return instance;
  let mod: { create(flags: string[]): GPU };
  await chooseVulkanDriver();
  await ensureRuntimeDir();
  try {
    mod = (await import("webgpu")) as unknown as { create(flags: string[]): GPU };
  } catch (err) {
    throw new DeviceError(`no WebGPU adapter: the 'webgpu' package (Dawn for Node) could not be loaded: ${(err as Error).message}`);
  }
  instance = mod.create([]);
  return instance;
}
