import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { describeViolations, seriousViolations } from "../axe.ts";
import { StudioPage, withConstant } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

/** Drags across the middle half of the timeline: a range selected, its summary shown. */
async function dragAcrossTimeline(): Promise<void> {
  const box = (await studio.page.locator('[data-testid="timeline"]').boundingBox())!;
  const y = box.y + box.height - 16;
  await studio.page.mouse.move(box.x + 118 + (box.width - 118) * 0.25, y);
  await studio.page.mouse.down();
  await studio.page.mouse.move(box.x + 118 + (box.width - 118) * 0.75, y, { steps: 5 });
  await studio.page.mouse.up();
  await studio.page.waitForSelector('[data-testid="range-summary"]');
}

const focusInside = (selector: string) => studio.page.evaluate((s) => !!document.activeElement?.closest(s), selector);

test("the Examples dialog is a modal dialog: focus moves in and stays, Escape closes it, focus returns", async () => {
  const { page } = studio;
  await page.focus('[data-testid="open-gallery"]');
  await page.keyboard.press("Enter");
  const dialog = page.locator('[role="dialog"][aria-modal="true"]');
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute("data-testid"), "gallery");
  const labelledBy = await dialog.getAttribute("aria-labelledby");
  assert.equal((await page.textContent(`[id="${labelledBy}"]`))?.trim(), "Examples", "the dialog is named by its title");
  assert.ok(await focusInside('[role="dialog"]'), "focus moved into the dialog");
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press(i % 3 === 2 ? "Shift+Tab" : "Tab");
    assert.ok(await focusInside('[role="dialog"]'), `focus stayed in the dialog after ${i + 1} Tab presses`);
  }
  await studio.screenshot("gallery-keyboard");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "open-gallery", "focus returned to the Examples button");
});

test("one level-one heading; the panels are ARIA tabs that arrow keys move between", async () => {
  const { page } = studio;
  assert.equal(await page.locator("h1").count(), 1);
  assert.match((await page.textContent("h1")) ?? "", /Polychip/);
  const tabs = page.locator('[role="tablist"] [role="tab"]');
  assert.equal(await tabs.count(), 6);
  await studio.tab("charts");
  assert.equal(await page.getAttribute('[data-tab="charts"]', "aria-selected"), "true");
  await page.focus('[data-tab="charts"]');
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getAttribute('[data-tab="profiler"]', "aria-selected"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-tab")), "profiler");
  const panel = page.locator('[role="tabpanel"]');
  assert.equal(await panel.getAttribute("aria-labelledby"), await page.getAttribute('[data-tab="profiler"]', "id"));
});

test("axe finds no serious or critical violation in any panel, in either theme", async () => {
  const { page } = studio;
  await studio.setCode(withConstant(await studio.openExample("fashion-mlp"), "STEPS", 5));
  await studio.run();
  assert.equal((await studio.finished()).status, "done");
  const problems: string[] = [];
  const counts: string[] = [];
  for (const theme of ["dark", "light"] as const) {
    if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.click('[data-testid="theme"]');
    for (const tab of ["charts", "profiler", "graph", "model", "data", "devices"] as const) {
      await studio.tab(tab);
      await page.waitForTimeout(150); // the store renders streamed state at most every 150 ms
      if (tab === "graph" && (await studio.snapshot()).features?.trace?.ok) {
        await page.click('[data-node="0"]', { timeout: 30_000 }); // the graph with a node's properties open
        await page.waitForSelector('[data-testid="node-properties"]');
        if (await page.isEnabled('[data-testid="show-fused"]')) {
          await page.check('[data-testid="show-fused"]'); // fused kernels outlined over the graph
          await page.waitForSelector(".fused-outline");
        }
      }
      if (tab === "profiler") {
        await page.locator('[data-testid^="op-row-"]').first().click(); // a row linked to the timeline
        await dragAcrossTimeline(); // and a range with its summary
      }
      const found = await seriousViolations(page);
      counts.push(`${theme}/${tab}: ${found.length}`);
      if (found.length) problems.push(describeViolations(`${theme}/${tab}`, found));
    }
    await page.click('[data-testid="open-gallery"]');
    await page.waitForSelector('[role="dialog"]');
    const found = await seriousViolations(page);
    counts.push(`${theme}/examples-dialog: ${found.length}`);
    if (found.length) problems.push(describeViolations(`${theme}/examples-dialog`, found));
    await page.keyboard.press("Escape");
    await page.waitForSelector('[role="dialog"]', { state: "detached" });
    await page.click('[data-testid="open-shortcuts"]');
    await page.waitForSelector('[role="dialog"]');
    const inShortcuts = await seriousViolations(page);
    counts.push(`${theme}/shortcuts-dialog: ${inShortcuts.length}`);
    if (inShortcuts.length) problems.push(describeViolations(`${theme}/shortcuts-dialog`, inShortcuts));
    await page.keyboard.press("Escape");
    await page.waitForSelector('[role="dialog"]', { state: "detached" });
  }
  // The device banner with a dry run's verdict on this code.
  if ((await studio.snapshot()).devices?.find((d) => d.name === "npu-sim")?.available) {
    await studio.selectDevice("npu-sim");
    await page.waitForSelector('[data-testid="device-guidance"]:has-text("dry run of this code\'s first step")', { timeout: 60_000 });
    for (const theme of ["light", "dark"] as const) {
      if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.click('[data-testid="theme"]');
      const found = await seriousViolations(page);
      counts.push(`${theme}/dry-run-banner: ${found.length}`);
      if (found.length) problems.push(describeViolations(`${theme}/dry-run-banner`, found));
    }
    await studio.selectDevice("cpu");
  }
  // A failed run: error lines in the console and the status bar, the error marked in the editor.
  await studio.setCode('import { tensor } from "polychip";\nconsole.warn("a warning");\ntensor([[1, 2]]).matmul(tensor([[1, 2]]));\n');
  await studio.run();
  assert.equal((await studio.finished(30_000)).status, "error");
  for (const theme of ["light", "dark"] as const) {
    if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme) await page.click('[data-testid="theme"]');
    await page.waitForSelector(".console-line.error");
    const found = await seriousViolations(page);
    counts.push(`${theme}/failed-run: ${found.length}`);
    if (found.length) problems.push(describeViolations(`${theme}/failed-run`, found));
  }
  process.stdout.write(`# axe serious+critical per state: ${counts.join(", ")}\n`);
  assert.deepEqual(problems, []);
});
