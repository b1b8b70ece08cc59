import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { conformanceCommand } from "./conformance.ts";

const corpus = process.env.POLYCHIP_ONNX_CORPUS ?? fileURLToPath(new URL("../../../../../shared/conformance/onnx-node", import.meta.url));
const present = existsSync(corpus);
// A test Polychip refuses (its ImageDecoder reads PNG, JPEG, BMP, PNM and TIFF, not WebP), from the ONNX node tests the onnx package keeps.
const unsupported = fileURLToPath(new URL("../../../onnx/conformance/extra-node/test_image_decoder_decode_webp_rgb", import.meta.url));
const tests = [join(corpus, "test_abs"), unsupported];

async function run(options: Partial<Parameters<typeof conformanceCommand>[0]>): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await conformanceCommand({ paths: tests, device: "cpu", json: false, rtol: 1e-3, atol: 1e-5, ...options }, (l) => lines.push(l));
  return { code, lines };
}

test("conformance onnx prints one line per test and ends with the summary line", { skip: present ? false : "shared corpus absent" }, async () => {
  const { code, lines } = await run({});
  // One line per test, in the order of their paths.
  assert.equal(lines.length, 3);
  assert.ok(
    lines.some((l) => /^pass {2}test_abs/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^skip {2}test_image_decoder_decode_webp_rgb {2}unsupported ImageDecoder/.test(l)),
    lines.join("\n"),
  );
  assert.equal(lines.at(-1), "1 passed, 0 failed, 1 skipped");
  assert.equal(code, 0);
});

test("--json prints a record per test; --expect fails on stale entries", { skip: present ? false : "shared corpus absent" }, async () => {
  const { lines } = await run({ json: true });
  const records = lines.slice(0, -1).map((l) => JSON.parse(l) as { name: string; status: string });
  assert.equal(records.find((r) => r.name === "test_abs")?.status, "pass");
  const dir = mkdtempSync(join(tmpdir(), "polychip-expect-"));
  try {
    const file = join(dir, "expect.json");
    writeFileSync(file, JSON.stringify({ device: "cpu", expected: { test_abs: { status: "fail", reason: "stale" } } }));
    const stale = await run({ expect: file });
    assert.equal(stale.code, 1);
    assert.ok(stale.lines.some((l) => /stale expectation: test_abs/.test(l)));
    assert.equal(stale.lines.at(-1), "1 passed, 0 failed, 1 skipped");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--summary prints one line per op type before the summary line", { skip: present ? false : "shared corpus absent" }, async () => {
  const { lines } = await run({ summary: true });
  assert.ok(
    lines.some((l) => /^Abs +1 passed, 0 failed, 0 skipped$/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^ImageDecoder +0 passed, 0 failed, 1 skipped$/.test(l)),
    lines.join("\n"),
  );
  assert.equal(lines.at(-1), "1 passed, 0 failed, 1 skipped");
});

test("a folder with no tests fails the run, naming the folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "polychip-empty-"));
  try {
    await assert.rejects(run({ paths: [dir] }), (err: Error) => err.message.includes(`no tests found in ${dir}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
