import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Worker } from "playwright-core";
import { StudioPage, withConstant } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

const studioWorkers = (): Worker[] => studio.page.workers().filter((w) => w.url().includes("studio.worker"));

test("Stop during training terminates the worker; the editor keeps the code and a new run works", async () => {
  const code = withConstant(await studio.openExample("fashion-cnn"), "STEPS", 100000);
  await studio.setCode(code);
  await studio.run();
  await studio.waitForSteps(3);
  const running = studioWorkers();
  assert.equal(running.length, 1, "one worker runs the code");
  const closed = new Promise<void>((resolve) => running[0]!.once("close", () => resolve()));
  await studio.page.click('[data-testid="stop"]');
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error("the worker was not terminated")), 5000))]);
  const snap = await studio.snapshot();
  assert.equal(snap.status, "stopped");
  assert.equal(await studio.getCode(), code, "the editor still holds the code");
  await studio.screenshot("stopped");

  await studio.setCode(withConstant(code, "STEPS", 3));
  await studio.run();
  const again = await studio.finished();
  assert.equal(again.status, "done", again.error?.message);
  assert.equal(again.metrics.length, 3);
});

test("Stop freezes what the page shows: batches the worker had already posted are not applied", async () => {
  await studio.setCode(withConstant(await studio.openExample("fashion-mlp"), "STEPS", 100000));
  await studio.tab("charts");
  await studio.run();
  await studio.waitForSteps(3);
  // Keep the page's thread busy while the worker goes on posting batches, then stop in the same
  // task: the batches queued meanwhile are delivered after Stop and must be ignored.
  const atStop = await studio.page.evaluate(() => {
    const studioHook = (window as any).polychipStudio;
    const until = performance.now() + 1000;
    while (performance.now() < until) {
      /* busy: the worker's messages queue up */
    }
    studioHook.stop();
    return studioHook.progress() as { status: string; steps: number };
  });
  assert.equal(atStop.status, "stopped", "Stop marks the run stopped at once");
  // Let every queued message and timer run, then a few frames.
  await studio.page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(r)), 500)));
  const snap = await studio.snapshot();
  assert.equal(snap.status, "stopped");
  assert.equal(snap.metrics.length, atStop.steps, `the step count stayed at ${atStop.steps} (now ${snap.metrics.length})`);
  assert.equal(snap.model, undefined, "no model arrived after Stop");
  assert.ok(!snap.console.some((c) => /test accuracy/.test(c.text)), "the run's final lines never reached the console");
  await studio.page.waitForFunction((n) => document.querySelector('[data-testid="status"]')?.textContent?.includes(`step ${n - 1}`), atStop.steps, {
    timeout: 5000,
  });
});

test("a syntax error is reported with its line, in the status and in the editor", async () => {
  const code = [
    'import { tensor } from "polychip";',
    "",
    "const a = tensor([1, 2]);",
    "// the next line is broken",
    "const b = a.add(;",
    "console.log(b);",
  ].join("\n");
  await studio.setCode(code);
  await studio.run();
  const snap = await studio.finished(30_000);
  assert.equal(snap.status, "error");
  assert.equal(snap.error?.kind, "syntax");
  assert.equal(snap.error?.line, 5);
  assert.match((await studio.page.textContent('[data-testid="run-status"]')) ?? "", /\(line 5\)/);
  await studio.page.waitForSelector(".monaco-editor .run-error-line");
  await studio.screenshot("syntax-error");
});

test("a runtime error inside the engine is reported at the user's line", async () => {
  const code = [
    'import { tensor } from "polychip";',
    "",
    "const a = tensor([[1, 2, 3]]);",
    "const b = tensor([[1, 2]]);",
    'console.log("multiplying");',
    "const c = a.matmul(b);",
    "console.log(c.shape);",
  ].join("\n");
  await studio.setCode(code);
  await studio.run();
  const snap = await studio.finished(30_000);
  assert.equal(snap.status, "error");
  assert.equal(snap.error?.kind, "runtime");
  assert.equal(snap.error?.line, 6);
  assert.match(snap.error?.message ?? "", /ShapeError: matmul/);
  assert.ok(
    snap.console.some((c) => c.level === "log" && c.text === "multiplying"),
    "console.log output reached the console panel",
  );
  assert.ok(snap.console.some((c) => c.level === "error" && /\(line 6\)/.test(c.text)));
  await studio.screenshot("runtime-error");
});
