import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PolychipError } from "@polychip/hal";
import { conformanceMain, parseConformanceArgs } from "./cli.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, "fixtures", "host-plugin.ts");

async function main(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await conformanceMain(
    argv,
    (s) => (out += `${s}\n`),
    (s) => (err += `${s}\n`),
  );
  return { code, out, err };
}

test("arguments: a plugin, --ops as a list or with =, and --json", () => {
  assert.deepEqual(parseConformanceArgs(["pkg", "--ops", "add,mul", "--json"]), { plugin: "pkg", ops: ["add", "mul"], json: true });
  assert.deepEqual(parseConformanceArgs(["--ops=relu", "pkg"]), { plugin: "pkg", ops: ["relu"], json: false });
});

test("arguments: no plugin, an unknown option or a second plugin print the usage", () => {
  for (const argv of [[], ["pkg", "--fast"], ["a", "b"], ["pkg", "--ops"]]) assert.throws(() => parseConformanceArgs(argv), PolychipError);
});

test("a failing op makes the exit code 1 and the last line the summary", async () => {
  const r = await main([fixture, "--ops", "add,sub"]);
  assert.equal(r.code, 1);
  assert.equal(r.out.trimEnd().split("\n").at(-1), "2 passed, 2 failed, 0 missing");
});

test("a plugin that cannot be loaded exits 2 with the reason on stderr", async () => {
  const r = await main(["@acme/missing-plugin"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /polychip-conformance: cannot find plugin package '@acme\/missing-plugin'/);
});

test("the bin runs under node --import tsx and exits 0 when everything passes", () => {
  const bin = join(here, "..", "bin.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", bin, fixture, "--ops", "sub", "--json"], { encoding: "utf8", cwd: join(here, "..", "..") });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).summary, "2 passed, 0 failed, 0 missing");
});
