/**
 * `virtual:polychip-optional`: the packages the studio uses when they are in the workspace
 * (WebGPU device, NPU simulator, ONNX, the engine's lean runtime). Decided at build time from the
 * files on disk, so a package that lands later is wired in by the next build, and one that is
 * missing is reported with its reason instead of breaking the build or being faked.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";
import { WORKSPACE_DIR } from "./workspace.ts";

export interface OptionalPackageSpec {
  id: string;
  packageName: string;
  folder: string;
  /** Entry file relative to the folder when there is no package.json to read it from. */
  entry?: string;
  what: string;
}

export const OPTIONAL_PACKAGES: OptionalPackageSpec[] = [
  { id: "webgpu", packageName: "@polychip/device-webgpu", folder: "devices/webgpu", what: "the WebGPU device" },
  { id: "npu-sim", packageName: "@polychip/npu-sim", folder: "plugins/npu-sim", what: "the simulated NPU plugin" },
  { id: "onnx", packageName: "@polychip/onnx", folder: "packages/onnx", what: "ONNX import/export" },
  { id: "graph", packageName: "@polychip/engine/graph", folder: "engine", entry: "src/graph.ts", what: "graph capture (trace) and the graph IR" },
  { id: "runtime", packageName: "@polychip/engine/runtime", folder: "engine", entry: "src/runtime.ts", what: "the engine's lean runtime (model files)" },
  { id: "deploy", packageName: "@polychip/engine/deploy", folder: "engine", entry: "src/deploy/index.ts", what: "int8/fp16 deployment (calibration, quantisation)" },
];

/** The entry file of a present package, or why it is not usable. */
export function resolveOptional(spec: OptionalPackageSpec, root = WORKSPACE_DIR): { entry: string } | { reason: string } {
  const dir = join(root, spec.folder);
  if (spec.entry) {
    const entry = join(dir, spec.entry);
    return existsSync(entry) ? { entry } : { reason: `${spec.what} (${spec.folder}/${spec.entry}) has not landed in this build` };
  }
  const pkgPath = join(dir, "package.json");
  if (!existsSync(pkgPath)) return { reason: `${spec.what} (${spec.packageName}, ${spec.folder}/) has not landed in this build` };
  let pkg: { name?: string; main?: string; exports?: unknown };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as typeof pkg;
  } catch (err) {
    return { reason: `${spec.folder}/package.json cannot be read: ${(err as Error).message}` };
  }
  const exp = pkg.exports as Record<string, unknown> | string | undefined;
  const dot = typeof exp === "string" ? exp : (exp?.["."] as Record<string, string> | string | undefined);
  const rel = (typeof dot === "string" ? dot : dot?.browser ?? dot?.import ?? dot?.default) ?? pkg.main ?? "./src/index.ts";
  const entry = join(dir, rel);
  return existsSync(entry) ? { entry } : { reason: `${spec.packageName}: its entry ${spec.folder}/${rel} does not exist` };
}

const ID = "virtual:polychip-optional";
const RESOLVED = "\0" + ID;

export function optionalPackages(root = WORKSPACE_DIR): Plugin {
  return {
    name: "polychip-optional-packages",
    resolveId(id) {
      return id === ID ? RESOLVED : undefined;
    },
    load(id) {
      if (id !== RESOLVED) return undefined;
      const entries = OPTIONAL_PACKAGES.map((spec) => {
        const r = resolveOptional(spec, root);
        const head = `id: ${JSON.stringify(spec.id)}, packageName: ${JSON.stringify(spec.packageName)}, what: ${JSON.stringify(spec.what)}`;
        return "entry" in r
          ? `${JSON.stringify(spec.id)}: { ${head}, present: true, load: () => import(${JSON.stringify(r.entry)}) }`
          : `${JSON.stringify(spec.id)}: { ${head}, present: false, reason: ${JSON.stringify(r.reason)} }`;
      });
      return `export const optionalPackages = {\n  ${entries.join(",\n  ")}\n};\n`;
    },
  };
}
