import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMs, mediansTable, ratiosTable, renderPass } from "./report.ts";
import { reusableFigures, withReusedEntries } from "./run-pass.ts";
import { renderMarkdown, renderText } from "./table.ts";
import { caseResult, ok, passResult } from "./test-fixtures.ts";

const pass = passResult(1, [
  caseResult("mlp-train-64", { polychip: ok(10), "tfjs-cpu": ok(40), "ort-web": { status: "unsupported", reason: "cannot train: inference only" } }),
]);

test("the ratio table gives each peer's time over Polychip's, and a dash where there is no figure", () => {
  assert.deepEqual(ratiosTable(pass).rows, [["mlp-train-64", "4.0×", "—"]]);
});

test("a peer that cannot train shows so in the medians table", () => {
  assert.deepEqual(mediansTable(pass).rows[0], ["mlp-train-64", "10.0 ms", "40.0 ms", "cannot train"]);
});

test("the notes give the reason a peer could not run a case", () => {
  assert.match(renderPass(pass, "text"), /ort-web: cannot train: inference only \(mlp-train-64\)/);
});

test("figures reused from the 1-thread pass are marked", () => {
  const first = passResult(1, [caseResult("cnn-train-64", { polychip: ok(200), "tfjs-cpu": ok(40_000) })], ["tfjs-cpu"]);
  const second = passResult(2, [caseResult("cnn-train-64", { polychip: ok(100) })]);
  const merged = withReusedEntries(second, first, { "tfjs-cpu": ["cnn-train-64"] });
  assert.equal(mediansTable(merged).rows[0]![2], "40.0 s¹");
  assert.equal(ratiosTable(merged).rows[0]![1], "400×");
});

test("only a single-threaded peer's slow figures are reused; fast ones are measured again", () => {
  const first = passResult(
    1,
    [
      caseResult("matmul-128", { polychip: ok(1), "tfjs-cpu": ok(5), "ort-web": ok(2000) }),
      caseResult("cnn-train-64", { polychip: ok(200), "tfjs-cpu": ok(40_000) }),
    ],
    ["tfjs-cpu"],
  );
  assert.deepEqual(reusableFigures(first), { "tfjs-cpu": ["cnn-train-64"] });
});

test("milliseconds are shown with sensible precision, seconds past 10 s", () => {
  assert.deepEqual([formatMs(0.456), formatMs(12.34), formatMs(1234), formatMs(42_000)], ["0.46 ms", "12.3 ms", "1234 ms", "42.0 s"]);
});

test("tables render aligned as text and as markdown", () => {
  const t = {
    headers: ["case", "ms"],
    rows: [
      ["a", "1"],
      ["bb", "22"],
    ],
  };
  assert.equal(renderText(t), "case  ms\n────  ──\na      1\nbb    22");
  assert.equal(renderMarkdown(t), "| case | ms |\n| --- | ---: |\n| a | 1 |\n| bb | 22 |");
});
