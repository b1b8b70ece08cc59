import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The vendor's path, end to end, outside the workspace: the @polychip packages are built to
 * JavaScript and packed, a plugin is scaffolded into a temporary folder against the packed HAL and
 * SDK, everything is installed there with npm from tarballs only (--offline), and the installed
 * kit, `polychip train --plugin` and `polychip deploy` run on it with plain node (tsx only to
 * load the plugin's own TypeScript).
 */
const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PACKAGES = ["hal", "devices/cpu", "packages/plugin-sdk", "packages/datasets", "engine", "packages/devices", "packages/onnx", "packages/cli"];
/**
 * Third-party packages, packed from pnpm's store with their own dependencies: protobufjs (ONNX) at
 * run time, and the scaffolded plugin's dev tools (tsx runs its TypeScript; typescript, @types/node).
 */
const THIRD_PARTY: [string, string][] = [
  ["protobufjs", "packages/onnx"],
  ["tsx", "packages/cli"],
  ["typescript", "packages/cli"],
  ["@types/node", "packages/cli"],
];

async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 << 20, env: { ...process.env, npm_config_onnxruntime_node_install: undefined } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
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

test("out of tree: pack, scaffold, npm install --offline, run the kit, train the MLP through --plugin and deploy to it", { timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), "polychip-vendor-"));
  try {
    const tarballs = join(work, "tarballs");
    mkdirSync(tarballs);
    // Each package's build is its own tsc (emit only: the typecheck is each package's own script), two at a time.
    const queue = [...PACKAGES];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        await sh(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--noCheck"], join(repo, p));
        await sh("pnpm", ["pack", "--pack-destination", tarballs], join(repo, p));
      }
    };
    await Promise.all([worker(), worker()]);
    for (const [name, user] of THIRD_PARTY) {
      for (const [dir, dep] of storeClosure(name, join(repo, user, "x"))) {
        // An npm tarball is the package's files under package/ (pnpm's store holds exactly those).
        const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
        await sh(
          "tar",
          ["czf", join(tarballs, `${dep.replace("@", "").replace("/", "-")}-${version}.tgz`), "--transform", "s,^\\.,package,", "-C", dir, "."],
          work,
        );
      }
    }
    const packed = readdirSync(tarballs).map((f) => join(tarballs, f));
    const ours = packed.filter((f) => basename(f).startsWith("polychip-"));
    assert.equal(ours.length, PACKAGES.length);
    for (const f of ours) {
      const manifest = await sh("tar", ["xzf", f, "package/package.json", "-O"], work);
      assert.doesNotMatch(manifest, /workspace:/, `${f} still names workspace: versions`);
      assert.match(manifest, /"types": "\.\/dist\//, `${f} exports no declarations`);
    }
    const tgz = (name: string) => ours.find((f) => basename(f).startsWith(`polychip-${name}-`))!;

    // The vendor scaffolds against the packed HAL and SDK, then installs everything from tarballs only.
    const plugin = join(work, "acme-npu");
    await sh(
      process.execPath,
      [
        "--import",
        "tsx",
        join(repo, "packages/plugin-sdk/src/create-plugin-bin.ts"),
        "@acme/npu",
        "--dir",
        plugin,
        "--hal",
        tgz("hal"),
        "--sdk",
        tgz("plugin-sdk"),
      ],
      repo,
    );
    const manifest = JSON.parse(readFileSync(join(plugin, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.equal(manifest.dependencies["@polychip/hal"], `file:${tgz("hal")}`);
    await sh("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-save", ...packed], plugin, 300_000);

    const kit = await sh(
      process.execPath,
      ["--import", "tsx", join(plugin, "node_modules/@polychip/plugin-sdk/bin/polychip-conformance.js"), "."],
      plugin,
      300_000,
    );
    assert.match(kit.trimEnd().split("\n").at(-1)!, /^\d+ passed, 0 failed, 0 missing, \d+ decomposed on the device$/);

    const polychip = join(plugin, "node_modules/@polychip/cli/bin/polychip.js");
    const trained = JSON.parse(
      (
        await sh(
          process.execPath,
          ["--import", "tsx", polychip, "train", "--plugin", ".", "--device", "acme-npu", "--subset", "--epochs", "1", "--out", "mlp.pcck", "--json"],
          plugin,
          300_000,
        )
      )
        .trim()
        .split("\n")
        .at(-1)!,
    ) as { device: string; testAccuracy: number };
    assert.equal(trained.device, "acme-npu");
    assert.ok(trained.testAccuracy > 0.7, `test accuracy ${trained.testAccuracy}`);

    const deployed = JSON.parse(
      (
        await sh(
          process.execPath,
          ["--import", "tsx", polychip, "deploy", "mlp.pcck", "--plugin", ".", "--device", "acme-npu", "--subset", "--limit", "64", "--json"],
          plugin,
          300_000,
        )
      )
        .trim()
        .split("\n")
        .at(-1)!,
    ) as { device: string; accuracy: number; fallbacks: unknown[] };
    assert.equal(deployed.device, "acme-npu");
    assert.ok(deployed.accuracy > 0.6, `deployed accuracy ${deployed.accuracy}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
