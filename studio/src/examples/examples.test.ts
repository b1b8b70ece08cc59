import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNode, withConstant } from "./run-in-node.ts";
import { transpileUserCode } from "../lib/transpile.ts";

const source = (id: string) => readFileSync(join(dirname(fileURLToPath(import.meta.url)), `${id}.ts`), "utf8");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

for (const id of ["fashion-mlp", "fashion-cnn", "char-transformer"]) {
  test(`${id}: trains on the cpu (loss falls over 12 steps) and hands its model to the studio`, async () => {
    const run = await runInNode(withConstant(source(id), "STEPS", 12));
    const losses = run.metrics.map((m) => m.values.loss!);
    assert.equal(losses.length, 12);
    assert.ok(mean(losses.slice(-4)) < mean(losses.slice(0, 4)), `loss did not fall: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
    assert.ok(run.metrics.every((m) => (m.samples ?? 0) > 0));
    assert.ok(run.model, "setModel was not called");
  });
}

for (const id of ["onnx-import", "npu-int8"]) {
  test(`${id}: is valid TypeScript for the transpiler`, () => {
    assert.ok(transpileUserCode(source(id)).body.includes("loadOptional"));
  });
}
