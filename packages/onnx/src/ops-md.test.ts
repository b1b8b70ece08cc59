import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { OPS_MD_FILE, opsMarkdown } from "./import/ops-table.ts";
import { supportedOnnxOps } from "./import/ops/index.ts";

test("OPS.md is what the registration table generates (run scripts/generate-ops-md.ts after changing an op)", () => {
  assert.equal(readFileSync(OPS_MD_FILE, "utf8"), opsMarkdown());
});

test("OPS.md lists every imported op as supported and the others as not", () => {
  const text = opsMarkdown();
  for (const op of ["Add", "If", "Loop", "Scan", "Range", "BatchNormalization"]) assert.match(text, new RegExp(`^\\| ${op} \\| supported`, "m"));
  assert.match(text, /^\| Scan \| supported \| 9, 11, 16, 19, 21, 23, 24, 25 \(not 8\) \|/m);
  assert.match(text, /^\| Upsample \| supported \(deprecated since opset 10\) \| 1, 7, 9 \|/m);
  assert.match(text, /^\| ImageDecoder \| supported \| 20 \|/m);
  const unsupported = text.split("\n").flatMap((line) => /^\| (\w+) \| not supported \|/.exec(line)?.[1] ?? []);
  assert.ok(
    unsupported.every((op) => !supportedOnnxOps().includes(op)),
    `listed as not supported: ${unsupported.join(", ")}`,
  );
  assert.ok(supportedOnnxOps().every((op) => text.includes(`| ${op} | supported`)));
});
