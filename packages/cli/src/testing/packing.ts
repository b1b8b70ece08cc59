import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * Packing the workspace for installs outside it (the out-of-tree and Vite-app tests): our packages
 * built to JavaScript and packed with pnpm, third-party ones copied from pnpm's store as npm
 * tarballs, so `npm install --offline <tarballs>` needs no registry.
 */
const run = promisify(execFile);
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

export async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, npm_config_onnxruntime_node_install: undefined } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Builds each workspace package (emit only: the typecheck is each package's own script) and packs it into `dest`, two at a time. */
export async function packWorkspace(packages: readonly string[], dest: string): Promise<void> {
  const queue = [...packages];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      await sh(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--noCheck"], join(REPO, p));
      await sh("pnpm", ["pack", "--pack-destination", dest], join(REPO, p));
    }
  };
  await Promise.all([worker(), worker()]);
}

/** A package's folder in pnpm's store and, recursively, those of its installed dependencies. */
function storeClosure(name: string, from: string, seen = new Map<string, string>()): Map<string, string> {
  let dir: string | undefined;
  for (let at = from; !dir; at = dirname(at)) {
    const candidate = join(at, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) dir = realpathSync(candidate);
    else if (dirname(at) === at) throw new Error(`${name} is not installed where ${from} can see it`);
  }
  if (seen.has(dir)) return seen;
  seen.set(dir, name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const parent = dirname(name.startsWith("@") ? dirname(dir) : dir);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    if (existsSync(join(parent, dep, "package.json")) || pkg.dependencies?.[dep]) storeClosure(dep, join(parent, dep, "x"), seen);
  }
  return seen;
}

/** Packs third-party package `name`, as the workspace package at `user` sees it, with its dependencies, into `dest`. */
export async function packFromStore(name: string, user: string, dest: string): Promise<void> {
  for (const [dir, dep] of storeClosure(name, join(REPO, user, "x"))) {
    // An npm tarball is the package's files under package/ (pnpm's store holds exactly those).
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
    await sh("tar", ["czf", join(dest, `${dep.replace("@", "").replace("/", "-")}-${version}.tgz`), "--transform", "s,^\\.,package,", "-C", dir, "."], dest);
  }
}

/** Packs `packages` (workspace folders) and `thirdParty` ([name, the workspace folder that uses it]) into a new `dest`; returns the tarballs. */
export async function packAll(dest: string, packages: readonly string[], thirdParty: readonly (readonly [string, string])[]): Promise<string[]> {
  mkdirSync(dest);
  await packWorkspace(packages, dest);
  for (const [name, user] of thirdParty) await packFromStore(name, user, dest);
  return readdirSync(dest).map((f) => join(dest, f));
}
