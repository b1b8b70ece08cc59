import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PRIMITIVES } from "@polychip/hal";
import { runConformance } from "@polychip/plugin-sdk/kit";
import { npuSimEdgePlugin } from "./index.ts";

test("the kit passes every kernel of the int8-only edge device, and every primitive has one", async () => {
  const report = await runConformance(npuSimEdgePlugin);
  assert.deepEqual(
    report.records.filter((r) => r.status === "fail").map((r) => `${r.op} ${r.dtype} ${r.case}: ${r.message}`),
    [],
  );
  const primitives = new Set(PRIMITIVES.map((p) => p.name));
  assert.deepEqual(
    report.cells.filter((c) => primitives.has(c.op) && c.status !== "pass").map((c) => `${c.op}/${c.dtype}`),
    [],
  );
  assert.ok(report.cells.some((c) => c.op === "conv2d" && c.dtype === "float16" && c.status === "decomposed"));
  const figures = join(dirname(fileURLToPath(import.meta.url)), "../../../docs/kit-figures.json");
  if (existsSync(figures)) {
    const committed = (JSON.parse(readFileSync(figures, "utf8")) as { plugin: string; summary: string }[]).find((f) => f.plugin === "npu-sim-edge");
    assert.equal(report.summary, committed?.summary, "regenerate with: node --import tsx packages/plugin-sdk/scripts/kit-figures.ts");
  }
});
