import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { allOps } from "@polychip/hal";
import { coverageMarkdown } from "./coverage.ts";

test("docs/device-coverage.md is what the registration tables say (regenerate with scripts/write-coverage.ts)", () => {
  const committed = readFileSync(new URL("../../../docs/device-coverage.md", import.meta.url), "utf8");
  assert.equal(committed, coverageMarkdown());
});

test("the table has a row per HAL op, and the cpu covers every one", () => {
  const rows = coverageMarkdown()
    .split("\n")
    .filter((l) => /^\| [a-zA-Z]/.test(l) && !l.startsWith("| op "));
  assert.equal(rows.length, allOps().length);
  for (const row of rows) assert.doesNotMatch(row.split("|")[3]!, /decomposed|→ cpu/, row);
});
