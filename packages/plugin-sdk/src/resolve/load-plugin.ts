import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DeviceError, type DevicePlugin } from "@polychip/hal";

/** Whether a value has the shape of a HAL entry point (DevicePlugin). */
export function isDevicePlugin(value: unknown): value is DevicePlugin {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === "string" && typeof v.halVersion === "string" && typeof v.create === "function" && Array.isArray(v.kernels);
}

/** The module's HAL entry point: its default export, else its first named export that is a DevicePlugin. */
export function pluginFromModule(mod: Record<string, unknown>, where: string): DevicePlugin {
  if (isDevicePlugin(mod.default)) return mod.default;
  for (const [, value] of Object.entries(mod)) if (isDevicePlugin(value)) return value;
  const names = Object.keys(mod);
  throw new DeviceError(
    `${where} has no HAL entry point: expected a default or named export implementing DevicePlugin ` +
      `{ name, halVersion, create(), kernels } from @polychip/hal; it exports ${names.length ? names.join(", ") : "nothing"}`,
  );
}

/**
 * Loads a plugin by package name or path (a package directory, or a module file) and returns its
 * HAL entry point. Package names resolve from `cwd`'s node_modules, then among the packages of
 * the enclosing pnpm workspace.
 */
export async function loadPlugin(spec: string, cwd: string = process.cwd()): Promise<DevicePlugin> {
  const file = resolvePlugin(spec, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new DeviceError(`plugin '${spec}' (${file}) failed to load: ${(err as Error).message}`);
  }
  return pluginFromModule(mod, `plugin '${spec}' (${file})`);
}

function looksLikePath(spec: string, cwd: string): boolean {
  return spec.startsWith(".") || isAbsolute(spec) || (!spec.startsWith("@") && existsSync(resolve(cwd, spec)));
}

/** The module file a spec names. */
export function resolvePlugin(spec: string, cwd: string): string {
  if (looksLikePath(spec, cwd)) {
    const path = resolve(cwd, spec);
    if (!existsSync(path)) throw new DeviceError(`plugin path '${spec}' does not exist (resolved to ${path})`);
    return statSync(path).isDirectory() ? packageEntry(path) : path;
  }
  try {
    return createRequire(join(cwd, "noop.js")).resolve(spec);
  } catch {
    const dir = findWorkspacePackage(spec, cwd);
    if (dir) return packageEntry(dir);
    throw new DeviceError(
      `cannot find plugin package '${spec}': it is not installed where ${cwd} can see it and is not a package of this workspace; pass its path instead`,
    );
  }
}

/** The file a package directory's package.json points at (exports ".", then main), or index.ts / index.js. */
function packageEntry(dir: string): string {
  const pkgPath = join(dir, "package.json");
  if (existsSync(pkgPath)) {
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { main?: string; exports?: unknown };
    const entry = exportTarget(pkg.exports) ?? pkg.main;
    if (entry) return resolve(dir, entry);
  }
  for (const name of ["src/index.ts", "index.ts", "index.js"]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new DeviceError(`${dir} is not a plugin package: no package.json entry point and no index.ts/index.js`);
}

function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === "string") return exports;
  if (typeof exports !== "object" || exports === null) return undefined;
  const dot = (exports as Record<string, unknown>)["."] ?? exports;
  if (typeof dot === "string") return dot;
  if (typeof dot === "object" && dot !== null) {
    const d = dot as Record<string, unknown>;
    for (const k of ["import", "default", "node"]) if (typeof d[k] === "string") return d[k] as string;
  }
  return undefined;
}

/** Looks through the pnpm workspace that contains `cwd` for a package named `name`. */
function findWorkspacePackage(name: string, cwd: string): string | undefined {
  let root = resolve(cwd);
  while (!existsSync(join(root, "pnpm-workspace.yaml"))) {
    const up = dirname(root);
    if (up === root) return undefined;
    root = up;
  }
  const globs = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8")
    .split("\n")
    .map((l) => /^\s*-\s*["']?([^"'#]+?)["']?\s*$/.exec(l)?.[1])
    .filter((g): g is string => !!g);
  for (const glob of globs) {
    const dirs = glob.endsWith("/*") ? listDirs(join(root, glob.slice(0, -2))) : [join(root, glob)];
    for (const dir of dirs) {
      const pkgPath = join(dir, "package.json");
      if (!existsSync(pkgPath)) continue;
      try {
        if ((JSON.parse(readFileSync(pkgPath, "utf8")) as { name?: string }).name === name) return dir;
      } catch {
        // An unreadable package.json is not the one we want.
      }
    }
  }
  return undefined;
}

function listDirs(parent: string): string[] {
  if (!existsSync(parent)) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(parent, e.name));
}
