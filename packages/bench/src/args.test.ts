import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBenchArgs } from "./args.ts";

test("defaults: both thread counts, no json, no epoch", () => {
  const a = parseBenchArgs([]);
  assert.deepEqual(a.threads, [1, 2]);
  assert.equal(a.json, undefined);
  assert.equal(a.epoch, false);
});

test("--json without a file name asks for the default file", () => {
  assert.equal(parseBenchArgs(["--json", "--quick"]).json, "");
  assert.equal(parseBenchArgs(["--json"]).json, "");
  assert.equal(parseBenchArgs(["--json", "out.json"]).json, "out.json");
});

test("--only epoch runs the epoch and no case", () => {
  const a = parseBenchArgs(["--only", "epoch"]);
  assert.equal(a.epoch, true);
  assert.equal(a.only, "none");
});

test("the pnpm argument separator is ignored", () => {
  assert.equal(parseBenchArgs(["--", "--quick"]).quick, true);
});

test("bad thread counts are refused", () => {
  assert.throws(() => parseBenchArgs(["--threads", "0,2"]), /--threads 0,2/);
});

test("--models asks for the real-model suite", () => {
  assert.equal(parseBenchArgs(["--models"]).models, true);
  assert.equal(parseBenchArgs([]).models, false);
});
