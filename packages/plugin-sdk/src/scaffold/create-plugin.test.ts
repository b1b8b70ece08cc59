import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PolychipError } from "@polychip/hal";
import { createPluginMain } from "./cli.ts";
import { createPlugin, pluginNames, renderTemplateFile, templateFiles } from "./create-plugin.ts";

const repoTemplate = join(dirname(fileURLToPath(import.meta.url)), "../../../../plugins/template");

function inTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "polychip-scaffold-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a bare name becomes @polychip/plugin-<name> with a PascalCase device class", () => {
  assert.deepEqual(pluginNames("acme-npu"), {
    packageName: "@polychip/plugin-acme-npu",
    deviceName: "acme-npu",
    className: "AcmeNpuDevice",
    pluginConst: "acmeNpuPlugin",
  });
});

test("a scoped name is kept as the package name and its scope stays in the device name, unless --device-name says otherwise", () => {
  assert.equal(pluginNames("@acme/npu").packageName, "@acme/npu");
  assert.equal(pluginNames("@acme/npu").deviceName, "acme-npu");
  assert.equal(pluginNames("@acme/acme-npu").deviceName, "acme-npu");
  assert.equal(pluginNames("@acme/npu", "edge7").deviceName, "edge7");
  assert.equal(pluginNames("@acme/npu", "edge7").className, "Edge7Device");
  assert.throws(() => pluginNames("@acme/npu", "Edge 7"), /invalid device name 'Edge 7'/);
});

test("outside the repository the package depends on released versions of the HAL and SDK, or on given tarballs", () =>
  inTemp((dir) => {
    const released = createPlugin("@acme/npu", join(dir, "released"));
    const deps = JSON.parse(readFileSync(join(released.dir, "package.json"), "utf8")).dependencies as Record<string, string>;
    assert.match(deps["@polychip/hal"]!, /^\^\d+\.\d+\.\d+$/);
    assert.match(deps["@polychip/plugin-sdk"]!, /^\^\d+\.\d+\.\d+$/);
    writeFileSync(join(dir, "hal.tgz"), "");
    writeFileSync(join(dir, "sdk.tgz"), "");
    const packed = createPlugin("acme-npu", join(dir, "packed"), { dependencies: { hal: join(dir, "hal.tgz"), sdk: join(dir, "sdk.tgz") } });
    assert.deepEqual(JSON.parse(readFileSync(join(packed.dir, "package.json"), "utf8")).dependencies, {
      "@polychip/hal": `file:${join(dir, "hal.tgz")}`,
      "@polychip/plugin-sdk": `file:${join(dir, "sdk.tgz")}`,
    });
    assert.throws(
      () => createPlugin("acme-npu", join(dir, "missing"), { dependencies: { hal: join(dir, "nope.tgz"), sdk: join(dir, "sdk.tgz") } }),
      /the hal tarball .*nope\.tgz does not exist/,
    );
  }));

test("outside the repository the package's entry points are its build in dist/, which npm pack builds first (npm ignores publishConfig's)", () =>
  inTemp((dir) => {
    const plugin = createPlugin("@acme/npu", join(dir, "acme"));
    const pkg = JSON.parse(readFileSync(join(plugin.dir, "package.json"), "utf8"));
    assert.equal(pkg.main, "./dist/index.js");
    assert.equal(pkg.types, "./dist/index.d.ts");
    assert.deepEqual(pkg.exports, { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } });
    assert.equal(pkg.publishConfig, undefined);
    assert.deepEqual(pkg.files, ["dist", "README.md"]);
    assert.equal(pkg.scripts.prepack, "npm run build");
    assert.equal(pkg.scripts.build, "tsc -p tsconfig.build.json");
    assert.match(pkg.scripts.conformance, /^npm run build && polychip-conformance \.$/);
  }));

test("inside the repository the package runs from src/ and pnpm pack switches it to dist/ through publishConfig", () =>
  inTemp((dir) => {
    const pkg = JSON.parse(readFileSync(join(createPlugin("acme", dir, { dependencies: "workspace" }).dir, "package.json"), "utf8"));
    assert.equal(pkg.main, "./src/index.ts");
    assert.equal(pkg.publishConfig.main, "./dist/index.js");
    assert.equal(pkg.scripts.prepack, undefined);
  }));

test("names that cannot be package or device names are refused", () => {
  for (const bad of ["", "Acme", "9npu", "acme npu", "@/x", "a/b"]) assert.throws(() => pluginNames(bad), PolychipError, bad);
});

test("the scaffolder writes a package with a HAL entry point, kernels, a kit test and a README", () =>
  inTemp((dir) => {
    const result = createPlugin("acme-npu", join(dir, "acme"), { dependencies: "workspace" });
    for (const f of ["package.json", "tsconfig.json", "README.md", "src/index.ts", "src/device.ts", "src/kernels/index.ts", "src/index.test.ts"])
      assert.ok(result.files.includes(f), f);
    const pkg = JSON.parse(readFileSync(join(dir, "acme", "package.json"), "utf8"));
    assert.equal(pkg.name, "@polychip/plugin-acme-npu");
    assert.deepEqual(pkg.dependencies, { "@polychip/hal": "workspace:*", "@polychip/plugin-sdk": "workspace:*" });
    const index = readFileSync(join(dir, "acme", "src", "index.ts"), "utf8");
    assert.match(index, /export const acmeNpuPlugin: DevicePlugin<AcmeNpuDeviceOptions>/);
    for (const f of result.files) assert.doesNotMatch(readFileSync(join(dir, "acme", f), "utf8"), /__[A-Z_]+__/, f);
  }));

test("the scaffolded kernels import only @polychip/hal and @polychip/plugin-sdk", () => {
  const names = pluginNames("x");
  for (const f of templateFiles().filter((f) => f.endsWith(".ts"))) {
    const imports = [...renderTemplateFile(f, names).matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
    for (const i of imports)
      assert.ok(i.startsWith(".") || i === "@polychip/hal" || i.startsWith("@polychip/plugin-sdk") || i.startsWith("node:"), `${f} imports ${i}`);
  }
});

test("a non-empty directory is refused unless forced", () =>
  inTemp((dir) => {
    writeFileSync(join(dir, "keep.txt"), "mine");
    assert.throws(
      () => createPlugin("acme", dir),
      (err: unknown) => err instanceof PolychipError && /not empty/.test((err as Error).message),
    );
    createPlugin("acme", dir, { force: true });
    assert.ok(existsSync(join(dir, "src", "index.ts")));
    assert.equal(readFileSync(join(dir, "keep.txt"), "utf8"), "mine");
  }));

test("plugins/template is exactly what the scaffolder writes for 'template'", { skip: !existsSync(repoTemplate) && "no plugins/template here" }, () => {
  const names = pluginNames("template");
  for (const f of templateFiles())
    assert.equal(
      readFileSync(join(repoTemplate, f), "utf8"),
      renderTemplateFile(f, names),
      `${f} drifted from the template: regenerate with polychip-create-plugin template --dir plugins/template --force`,
    );
});

test("the create-plugin command reports what it wrote", () =>
  inTemp((dir) => {
    const out: string[] = [];
    const code = createPluginMain(
      ["vendor-x", "--dir", join(dir, "vx")],
      (s) => out.push(s),
      () => {},
    );
    assert.equal(code, 0);
    assert.match(out[0]!, /created @polychip\/plugin-vendor-x \(device 'vendor-x'\) in .*vx: \d+ files/);
    const err: string[] = [];
    assert.equal(
      createPluginMain(
        [],
        () => {},
        (s) => err.push(s),
      ),
      2,
    );
    assert.match(err[0]!, /usage: polychip-create-plugin <name>/);
  }));
