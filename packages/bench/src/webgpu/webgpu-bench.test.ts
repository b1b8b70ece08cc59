import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { before, describe, test } from "node:test";
import { matmulCase } from "../cases.ts";
import { AGREEMENT_TOLERANCE } from "../pass.ts";
import { SMOKE_SAMPLING } from "../sampling.ts";
import { CHROMIUM_PATH, renderWebGpuReport, runWebGpuBench, type WebGpuReport } from "./webgpu-bench.ts";

// The --webgpu harness end to end on one tiny case: bundle, serve, headless Chromium, every runner in one page.
describe("the WebGPU harness in headless Chromium", () => {
  let report: WebGpuReport;
  before(async () => {
    report = await runWebGpuBench({ quick: true, full: false, command: "test", cases: [matmulCase(32)], sampling: SMOKE_SAMPLING, log: () => {} });
  });

  test("finds an adapter and measures every runner in the same page, or says plainly there is no Chromium", () => {
    if (!existsSync(CHROMIUM_PATH)) {
      assert.match(report.unavailable ?? "", /no Chromium at/);
      return;
    }
    assert.equal(report.adapter?.available, true, report.unavailable);
    const entries = report.pass!.cases[0]!.entries;
    for (const id of ["tfjs-webgpu", "ort-webgpu"]) assert.equal(entries[id]?.status, "ok", `${id}: ${JSON.stringify(entries[id])}`);
    const polychip = entries["polychip-webgpu"];
    if (polychip) assert.equal(polychip.status, "ok", JSON.stringify(polychip));
    else assert.match(report.pass!.unavailable["polychip-webgpu"] ?? "", /not available|did not/);
  });

  test("the runners' products agree", { skip: !existsSync(CHROMIUM_PATH) && "no Chromium here" }, () => {
    for (const [id, e] of Object.entries(report.pass!.cases[0]!.entries)) {
      if (e.status === "ok" && e.agreement) assert.ok(e.agreement.relativeDifference < AGREEMENT_TOLERANCE, `${id}: ${e.agreement.relativeDifference}`);
    }
  });

  test("a software adapter is called out as proving only that the harness runs", { skip: !existsSync(CHROMIUM_PATH) && "no Chromium here" }, () => {
    if (!report.adapter?.software) return;
    assert.match(renderWebGpuReport(report, "text"), /SOFTWARE ADAPTER.*only prove the harness runs/);
    assert.ok(report.goals.every((g) => g.status === "not measured"));
  });
});
