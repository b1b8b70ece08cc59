import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { committedFigure, committedFigures, inRepo, repo } from "./fixtures/committed-figures.ts";
import { renderFigures, replaceFigures } from "./figures.ts";
import { runConformance } from "./run-conformance.ts";
import { loadPlugin } from "../resolve/load-plugin.ts";

test("the guide's kit table is exactly what docs/kit-figures.json renders to", { skip: !inRepo && "outside the repository" }, () => {
  const guide = readFileSync(join(repo, "docs/writing-a-device-plugin.md"), "utf8");
  const figures = committedFigures();
  assert.ok(guide.includes(renderFigures(figures)), "regenerate with: node --import tsx packages/plugin-sdk/scripts/kit-figures.ts");
  assert.equal(replaceFigures(guide, figures), guide);
});

test("the template's committed kit figure is what the kit says today", { skip: !inRepo && "outside the repository" }, async () => {
  const report = await runConformance(await loadPlugin("./plugins/template", repo));
  assert.equal(report.summary, committedFigure("template").summary, "regenerate with: node --import tsx packages/plugin-sdk/scripts/kit-figures.ts");
});
