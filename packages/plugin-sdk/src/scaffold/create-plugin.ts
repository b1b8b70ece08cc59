import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PolychipError } from "@polychip/hal";

/** Where the plugin template lives: files ending in .tpl, with __PLACEHOLDERS__ for the names. */
export const TEMPLATE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../templates/plugin");

export interface PluginNames {
  /** npm package name: "@polychip/plugin-<device>" for a bare name, or the scoped name given. */
  readonly packageName: string;
  /** What users select the device by ("acme-npu"). */
  readonly deviceName: string;
  /** The device class ("AcmeNpuDevice"). */
  readonly className: string;
  /** The exported DevicePlugin constant ("acmeNpuPlugin"). */
  readonly pluginConst: string;
}

export interface CreatePluginOptions {
  /** Overwrite template files in a non-empty directory (other files are left alone). */
  readonly force?: boolean;
  /** The device name, instead of the one derived from the package name. */
  readonly deviceName?: string;
  /**
   * Where @polychip/hal and @polychip/plugin-sdk come from: "workspace" (workspace:*, for a plugin
   * inside this repository), "released" (^ the versions this SDK was released with), or tarballs
   * (file: paths, e.g. from pnpm pack). Default: "workspace" inside a pnpm workspace that holds
   * @polychip/hal, else "released".
   */
  readonly dependencies?: "workspace" | "released" | { readonly hal: string; readonly sdk: string };
}

export interface CreatePluginResult extends PluginNames {
  readonly dir: string;
  /** Paths written, relative to `dir`. */
  readonly files: readonly string[];
}

const NAME = /^(@[a-z0-9][a-z0-9-._]*\/)?([a-z][a-z0-9-]*)$/;

/**
 * The names a plugin called `name` ("acme-npu" or "@acme/npu") gets. A scoped name keeps its scope
 * in the device name ("@acme/npu" → "acme-npu") unless the bare name already starts with it
 * ("@acme/acme-npu" → "acme-npu"); `deviceName` overrides it.
 */
export function pluginNames(name: string, deviceNameOverride?: string): PluginNames {
  const m = NAME.exec(name);
  if (!m)
    throw new PolychipError(
      `invalid plugin name '${name}': use lowercase letters, digits and dashes, starting with a letter (optionally scoped: @vendor/name)`,
    );
  const scope = m[1]?.slice(1, -1).replace(/[^a-z0-9-]/g, "-");
  const bare = m[2]!;
  const deviceName = deviceNameOverride ?? (scope && !bare.startsWith(`${scope}-`) && bare !== scope ? `${scope}-${bare}` : bare);
  if (!/^[a-z][a-z0-9-]*$/.test(deviceName))
    throw new PolychipError(`invalid device name '${deviceName}': use lowercase letters, digits and dashes, starting with a letter`);
  const words = deviceName.split("-").filter(Boolean);
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return {
    packageName: m[1] ? name : `@polychip/plugin-${bare}`,
    deviceName,
    className: `${pascal}Device`,
    pluginConst: `${pascal[0]!.toLowerCase()}${pascal.slice(1)}Plugin`,
  };
}

/** The template's files, relative to TEMPLATE_DIR, without the .tpl suffix. */
export function templateFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(".tpl")) out.push(relative(TEMPLATE_DIR, path).slice(0, -".tpl".length));
    }
  };
  walk(TEMPLATE_DIR);
  return out.sort();
}

const WORKSPACE_DEPENDENCIES = { hal: "workspace:*", sdk: "workspace:*" } as const;

/**
 * One template file with the names (and the dependency specifiers: workspace:* unless given) filled
 * in. Outside the workspace the package.json points its entry points at the build (see
 * `builtEntryPoints`).
 */
export function renderTemplateFile(file: string, names: PluginNames, deps: { readonly hal: string; readonly sdk: string } = WORKSPACE_DEPENDENCIES): string {
  const text = readFileSync(join(TEMPLATE_DIR, `${file}.tpl`), "utf8")
    .replaceAll("__HAL_DEPENDENCY__", deps.hal)
    .replaceAll("__SDK_DEPENDENCY__", deps.sdk)
    .replaceAll("__PACKAGE_NAME__", names.packageName)
    .replaceAll("__DEVICE_NAME__", names.deviceName)
    .replaceAll("__CLASS_NAME__", names.className)
    .replaceAll("__PLUGIN_CONST__", names.pluginConst);
  const inWorkspace = deps.hal.startsWith("workspace:") && deps.sdk.startsWith("workspace:");
  return file === "package.json" && !inWorkspace ? builtEntryPoints(text) : text;
}

/**
 * The manifest of a plugin outside the workspace. In the repository a plugin runs from src/ and
 * `publishConfig` redirects main/types/exports to dist/ when pnpm packs it, but npm ignores those
 * fields of publishConfig: an `npm pack` would ship a main that names a src/ file the tarball does
 * not hold. So out of tree the entry points are dist/ itself, and `prepack` builds it first.
 */
function builtEntryPoints(manifestText: string): string {
  const { publishConfig, ...manifest } = JSON.parse(manifestText) as Record<string, unknown> & {
    publishConfig: Record<string, unknown>;
    scripts: Record<string, string>;
  };
  const { main, types, exports, ...rest } = publishConfig;
  const scripts = { ...manifest.scripts, prepack: "npm run build", conformance: `npm run build && ${manifest.scripts.conformance}` };
  const out = { ...manifest, main, types, exports, scripts, ...(Object.keys(rest).length > 0 ? { publishConfig: rest } : {}) };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * Writes a working plugin package: package.json (depending on @polychip/hal and the SDK from the
 * workspace, released versions or tarballs), src/index.ts exporting a DevicePlugin, a host-memory
 * device, naive kernels for every required primitive, a test that runs the conformance kit on it,
 * and a README. `dir` defaults to ./<device name>. Refuses a non-empty directory unless `force`.
 */
export function createPlugin(name: string, dir?: string, options: CreatePluginOptions = {}): CreatePluginResult {
  const names = pluginNames(name, options.deviceName);
  const target = resolve(dir ?? names.deviceName);
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force) {
    throw new PolychipError(`cannot create plugin '${name}' in ${target}: the directory is not empty (use --force to overwrite the template's files)`);
  }
  const deps = dependencySpecifiers(options.dependencies ?? (insidePolychipWorkspace(target) ? "workspace" : "released"));
  const files = templateFiles();
  for (const file of files) {
    const path = join(target, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, renderTemplateFile(file, names, deps));
  }
  return { ...names, dir: target, files };
}

function dependencySpecifiers(mode: NonNullable<CreatePluginOptions["dependencies"]>): { hal: string; sdk: string } {
  if (mode === "workspace") return WORKSPACE_DEPENDENCIES;
  if (mode === "released") return releasedVersions();
  for (const [what, path] of Object.entries(mode)) {
    if (!existsSync(resolve(path))) throw new PolychipError(`the ${what} tarball ${path} does not exist`);
  }
  return { hal: `file:${resolve(mode.hal)}`, sdk: `file:${resolve(mode.sdk)}` };
}

/**
 * ^ the versions this SDK was released with: its own, and the HAL it depends on (pnpm pack writes
 * the HAL's real version into the SDK's package.json; in the repository it is read from hal/).
 */
function releasedVersions(): { hal: string; sdk: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as { version: string; dependencies?: Record<string, string> };
  const sdk = read(resolve(here, "../../package.json"));
  let hal = sdk.dependencies?.["@polychip/hal"] ?? "";
  if (hal.startsWith("workspace:")) hal = read(resolve(here, "../../../../hal/package.json")).version;
  return { hal: /^\d/.test(hal) ? `^${hal}` : hal, sdk: `^${sdk.version}` };
}

/** Whether `dir` lies in a pnpm workspace whose packages include @polychip/hal (this repository). */
function insidePolychipWorkspace(dir: string): boolean {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, "pnpm-workspace.yaml"))) return existsSync(join(at, "hal", "package.json"));
    if (dirname(at) === at) return false;
  }
}
