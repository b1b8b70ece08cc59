import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { packAll, REPO as repo, sh } from "./testing/packing.ts";

/**
 * The vendor's path, end to end, outside the workspace: the @polychip packages are built to
 * JavaScript and packed, a plugin is scaffolded into a temporary folder against the packed HAL and
 * SDK, everything is installed there with npm from tarballs only (--offline), the plugin is built
 * to JavaScript with its own tsconfig.build.json, and the installed kit, `polychip train --plugin`
 * and `polychip deploy --plugin .` load that build with plain node (no tsx). Then the vendor ships
 * it: `npm pack` of the plugin, installed into a fresh app, loads there by package name.
 */
const PACKAGES = [
  "hal",
  "devices/cpu",
  "devices/webgpu",
  "packages/plugin-sdk",
  "packages/datasets",
  "engine",
  "packages/devices",
  "packages/onnx",
  "packages/cli",
];
/**
 * Third-party packages, packed from pnpm's store with their own dependencies: protobufjs (ONNX) and
 * @webgpu/types (device-webgpu's declarations) at run time, and the scaffolded plugin's dev tools
 * (tsx, typescript, @types/node).
 */
const THIRD_PARTY: [string, string][] = [
  ["protobufjs", "packages/onnx"],
  ["@webgpu/types", "devices/webgpu"],
  ["tsx", "packages/cli"],
  ["typescript", "packages/cli"],
  ["@types/node", "packages/cli"],
];

test("out of tree: pack, scaffold, npm install --offline, run the kit, train the MLP through --plugin, deploy to it, npm pack it and load it by name", {
  timeout: 600_000,
}, async () => {
  const work = mkdtempSync(join(tmpdir(), "polychip-vendor-"));
  try {
    const packed = await packAll(join(work, "tarballs"), PACKAGES, THIRD_PARTY);
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

    // The vendor ships JavaScript: build the plugin, then load dist/index.js with plain node from here on.
    await sh(process.execPath, [join(plugin, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], plugin);
    const entry = "./dist/index.js";
    const kit = await sh(process.execPath, [join(plugin, "node_modules/@polychip/plugin-sdk/bin/polychip-conformance.js"), entry], plugin, 300_000);
    assert.match(kit.trimEnd().split("\n").at(-1)!, /^\d+ passed, 0 failed, 0 missing, \d+ decomposed on the device$/);

    const polychip = join(plugin, "node_modules/@polychip/cli/bin/polychip.js");
    const trained = JSON.parse(
      (
        await sh(
          process.execPath,
          [polychip, "train", "--plugin", entry, "--device", "acme-npu", "--subset", "--epochs", "1", "--out", "mlp.pcck", "--json"],
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
          [polychip, "deploy", "mlp.pcck", "--plugin", ".", "--device", "acme-npu", "--subset", "--limit", "64", "--json"],
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

    // The vendor ships it with npm: `npm pack` builds first (prepack), and the tarball's entry points
    // are that build, so an npm install of it loads by package name with plain node.
    const shipped = join(work, (await sh("npm", ["pack", "--pack-destination", work], plugin, 300_000)).trim().split("\n").at(-1)!);
    const listed = (await sh("tar", ["tzf", shipped], work)).split("\n");
    const shippedManifest = JSON.parse(await sh("tar", ["xzf", shipped, "package/package.json", "-O"], work)) as {
      main: string;
      types: string;
      exports: { ".": { types: string; default: string } };
    };
    for (const target of [shippedManifest.main, shippedManifest.types, shippedManifest.exports["."].types, shippedManifest.exports["."].default]) {
      assert.match(target, /^\.\/dist\/.*\.(js|d\.ts)$/, `the packed plugin's entry point ${target}`);
      assert.ok(listed.includes(`package/${target.slice(2)}`), `${target} is not in the npm-packed tarball`);
    }
    const app = join(work, "app");
    mkdirSync(app);
    await sh("npm", ["init", "-y"], app);
    await sh("npm", ["install", "--offline", "--no-audit", "--no-fund", ...packed, shipped], app, 300_000);
    const loaded = await sh(
      process.execPath,
      ["--input-type=module", "-e", `const { default: p } = await import("@acme/npu"); console.log(p.name, typeof p.create);`],
      app,
    );
    assert.equal(loaded.trim(), "acme-npu function");
    const appDeploy = await sh(
      process.execPath,
      [
        join(app, "node_modules/@polychip/cli/bin/polychip.js"),
        "deploy",
        join(plugin, "mlp.pcck"),
        "--plugin",
        "@acme/npu",
        "--device",
        "acme-npu",
        "--subset",
        "--limit",
        "64",
        "--json",
      ],
      app,
      300_000,
    );
    assert.equal((JSON.parse(appDeploy.trim().split("\n").at(-1)!) as { device: string }).device, "acme-npu");

    // device-webgpu installs like the others; without the optional 'webgpu' peer (Dawn) it says what to install.
    const webgpu = await sh(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import("@polychip/device-webgpu"); try { await m.webgpuPlugin.create(); console.log("created"); } catch (e) { console.log(e.name + ": " + e.message); }`,
      ],
      plugin,
    );
    assert.match(webgpu, /DeviceError: no WebGPU adapter: the 'webgpu' package \(Dawn for Node\) could not be loaded/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
