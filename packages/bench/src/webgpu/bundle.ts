import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";

const PAGE_ENTRY = fileURLToPath(new URL("./page.ts", import.meta.url));
const BENCH_DIR = fileURLToPath(new URL("../..", import.meta.url));
/** The device is written in parallel and is not a dependency of the bench: it is found in the workspace. */
const WEBGPU_DEVICE_ENTRY = fileURLToPath(new URL("../../../../devices/webgpu/src/index.ts", import.meta.url));
const NODE_BUILTINS = /^(node:.*|fs|fs\/promises|path|os|url|module|child_process|worker_threads|crypto|zlib|readline|util|stream|http|https|net)$/;

/** Where @polychip/device-webgpu's entry is: installed beside the bench, or in the workspace; undefined when neither. */
export function webGpuDeviceEntry(): string | undefined {
  try {
    return createRequire(`${BENCH_DIR}/package.json`).resolve("@polychip/device-webgpu");
  } catch {
    return existsSync(WEBGPU_DEVICE_ENTRY) ? WEBGPU_DEVICE_ENTRY : undefined;
  }
}

/** `bench:device-webgpu` → the plugin when the package exists, undefined otherwise (feature detection at bundle time). */
const deviceWebGpuPlugin: Plugin = {
  name: "bench-device-webgpu",
  setup(build) {
    build.onResolve({ filter: /^bench:device-webgpu$/ }, () => ({ path: "device-webgpu", namespace: "bench" }));
    build.onLoad({ filter: /.*/, namespace: "bench" }, () => ({
      contents: webGpuDeviceEntry() ? `export { webgpuPlugin as plugin } from ${JSON.stringify(webGpuDeviceEntry())};` : "export const plugin = undefined;",
      resolveDir: BENCH_DIR,
      loader: "ts",
    }));
  },
};

/**
 * Node-only modules reached through shared packages (the CLI's file helpers, the cpu device's
 * worker pool) are never called in the page; an empty CommonJS stub lets the bundle link.
 */
const nodeBuiltinStub: Plugin = {
  name: "node-builtin-stub",
  setup(build) {
    build.onResolve({ filter: NODE_BUILTINS }, (args) => ({ path: args.path, namespace: "node-stub" }));
    build.onLoad({ filter: /.*/, namespace: "node-stub" }, () => ({ contents: "module.exports = {};", loader: "js" }));
  },
};

/** Bundles the bench page (engine, devices, tfjs, onnxruntime-web) into one ES module. */
export async function bundlePage(): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [PAGE_ENTRY],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    // onnxruntime-web's WASM files are served by the bench server, not inlined into the bundle.
    conditions: ["onnxruntime-web-use-extern-wasm"],
    define: { "process.env.NODE_ENV": '"production"' },
    absWorkingDir: dirname(PAGE_ENTRY),
    plugins: [deviceWebGpuPlugin, nodeBuiltinStub],
  });
  return result.outputFiles[0]!.text;
}
