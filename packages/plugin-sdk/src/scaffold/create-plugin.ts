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
}

export interface CreatePluginResult extends PluginNames {
  readonly dir: string;
  /** Paths written, relative to `dir`. */
  readonly files: readonly string[];
}

const NAME = /^(@[a-z0-9][a-z0-9-._]*\/)?([a-z][a-z0-9-]*)$/;

/** The names a plugin called `name` ("acme-npu" or "@acme/npu") gets. */
export function pluginNames(name: string): PluginNames {
  const m = NAME.exec(name);
  if (!m) throw new PolychipError(`invalid plugin name '${name}': use lowercase letters, digits and dashes, starting with a letter (optionally scoped: @vendor/name)`);
  const deviceName = m[2]!;
  const words = deviceName.split("-").filter(Boolean);
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return {
    packageName: m[1] ? name : `@polychip/plugin-${deviceName}`,
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

/** One template file with the names filled in. */
export function renderTemplateFile(file: string, names: PluginNames): string {
  return readFileSync(join(TEMPLATE_DIR, `${file}.tpl`), "utf8")
    .replaceAll("__PACKAGE_NAME__", names.packageName)
    .replaceAll("__DEVICE_NAME__", names.deviceName)
    .replaceAll("__CLASS_NAME__", names.className)
    .replaceAll("__PLUGIN_CONST__", names.pluginConst);
}

/**
 * Writes a working plugin package: package.json (workspace deps on @polychip/hal and the SDK),
 * src/index.ts exporting a DevicePlugin, a host-memory device, naive kernels for every required
 * primitive, a test that runs the conformance kit on it, and a README. `dir` defaults to
 * ./<device name>. Refuses a non-empty directory unless `force`.
 */
export function createPlugin(name: string, dir?: string, options: CreatePluginOptions = {}): CreatePluginResult {
  const names = pluginNames(name);
  const target = resolve(dir ?? names.deviceName);
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force) {
    throw new PolychipError(`cannot create plugin '${name}' in ${target}: the directory is not empty (use --force to overwrite the template's files)`);
  }
  const files = templateFiles();
  for (const file of files) {
    const path = join(target, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, renderTemplateFile(file, names));
  }
  return { ...names, dir: target, files };
}
