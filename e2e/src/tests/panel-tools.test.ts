import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

const PROGRAM = `
import { tensor } from "polychip";
const a = tensor([[1, 2], [3, 4]]);
for (let i = 0; i < 5; i++) await a.matmul(a).data();
await a.add(a).data();
console.log("a log line");
console.warn("a warning line");
console.error("an error line");
`;

test("files can be chosen with a picker (no drag and drop needed), from the top bar and the data panel", async () => {
  await studio.tab("data");
  await studio.page.setInputFiles('[data-testid="pick-data-input"]', { name: "table.csv", mimeType: "text/csv", buffer: Buffer.from("x,y\n1,2\n3,4\n5,6\n") });
  await studio.page.waitForFunction(() => (window as any).polychipStudio.snapshot().files.some((f: { name: string }) => f.name === "table.csv"));
  assert.match((await studio.page.textContent('[data-testid="dropped-files"]')) ?? "", /3 rows × 2 columns \(with header\)/);
  await studio.page.setInputFiles('[data-testid="pick-any-input"]', {
    name: "mine.ts",
    mimeType: "text/plain",
    buffer: Buffer.from('console.log("opened from a picker");\n'),
  });
  await studio.page.waitForFunction(() => (window as any).polychipStudio.getCode() === 'console.log("opened from a picker");\n');
  await studio.tab("model");
  assert.equal(await studio.page.locator('[data-testid="pick-model"]').count(), 1, "the model panel has its own picker");
});

test("the console filters by level; the op table sorts by any column", async () => {
  await studio.setCode(PROGRAM);
  await studio.run();
  const snap = await studio.finished(60_000);
  assert.equal(snap.status, "done", snap.error?.message);
  const lines = () => studio.page.locator('[data-testid="console"] .console-line .text').allTextContents();
  assert.deepEqual(await lines(), ["a log line", "a warning line", "an error line"]);
  await studio.page.click('[data-testid="console-level-log"]');
  assert.deepEqual(await lines(), ["a warning line", "an error line"]);
  assert.equal(await studio.page.getAttribute('[data-testid="console-level-log"]', "aria-pressed"), "false");
  await studio.page.click('[data-testid="console-level-warn"]');
  assert.deepEqual(await lines(), ["an error line"]);
  await studio.page.click('[data-testid="console-level-log"]');
  await studio.page.click('[data-testid="console-level-warn"]');
  assert.equal((await lines()).length, 3);

  await studio.tab("profiler");
  const counts = async () =>
    (await studio.page.locator('[data-testid="op-table"] tbody tr td:nth-child(3)').allTextContents()).map((t) => Number(t.replace(/,/g, "")));
  await studio.page.click('[data-sort="count"]');
  const desc = await counts();
  assert.ok(desc.length >= 2, "the table has rows");
  assert.deepEqual(
    desc,
    [...desc].sort((a, b) => b - a),
    `largest count first: ${desc.join(", ")}`,
  );
  assert.equal(await studio.page.getAttribute('th:has([data-sort="count"])', "aria-sort"), "descending");
  await studio.page.click('[data-sort="count"]');
  const asc = await counts();
  assert.deepEqual(
    asc,
    [...asc].sort((a, b) => a - b),
    `smallest count first: ${asc.join(", ")}`,
  );
  await studio.page.click('[data-sort="name"]');
  const names = await studio.page.locator('[data-testid="op-table"] tbody tr td:nth-child(1) .mono').allTextContents();
  assert.deepEqual(
    names,
    [...names].sort((a, b) => a.localeCompare(b)),
  );
  await studio.screenshot("profiler-sorted");
});

test("runs are kept across a reload and an earlier one overlays the charts", async () => {
  const logging = (scale: number) => `import { log } from "polychip";\nfor (let i = 0; i < 5; i++) log(i, { loss: ${scale} / (i + 1) });\n`;
  await studio.tab("charts");
  for (const scale of [1, 2]) {
    await studio.setCode(logging(scale));
    await studio.run();
    assert.equal((await studio.finished(30_000)).status, "done");
  }
  await studio.page.waitForFunction(() => document.querySelector('[data-testid="run-history"] summary')?.textContent?.includes("Earlier runs"));
  await studio.load();
  await studio.tab("charts");
  await studio.page.click('[data-testid="run-history"] summary');
  const boxes = studio.page.locator('[data-testid="run-history"] input[type="checkbox"]');
  assert.ok((await boxes.count()) >= 2, "both runs survived the reload");
  assert.match((await studio.page.textContent('[data-testid="run-history"]')) ?? "", /your code on cpu · 5 steps · done/);
  await boxes.first().check();
  const overlay = studio.page.locator('[data-testid="chart-loss"] path[data-series="overlay"]');
  await overlay.first().waitFor();
  assert.equal(await overlay.count(), 1, "the checked run is drawn on the loss chart");
  await studio.screenshot("charts-overlay");
});

test("the panes resize by dragging or with arrow keys, and keep their size after a reload", async () => {
  const { page } = studio;
  const width = async () => (await page.locator("section.left").boundingBox())!.width;
  const consoleHeight = async () => (await page.locator('[data-testid="console-panel"]').boundingBox())!.height;
  const before = await width();
  const bar = (await page.locator('[data-testid="split-editor"]').boundingBox())!;
  await page.mouse.move(bar.x + bar.width / 2, bar.y + 200);
  await page.mouse.down();
  await page.mouse.move(bar.x + bar.width / 2 - 150, bar.y + 200, { steps: 5 });
  await page.mouse.up();
  const dragged = await width();
  assert.ok(Math.abs(dragged - (before - 150)) <= 2, `the editor went from ${before} to ${dragged} px wide`);
  const consoleBefore = await consoleHeight();
  await page.focus('[data-testid="split-console"]');
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  assert.equal(await consoleHeight(), consoleBefore + 48, "ArrowUp on the divider makes the console taller");
  await studio.screenshot("resized-panes");
  await studio.load();
  assert.ok(Math.abs((await width()) - dragged) <= 1, "the editor width is remembered");
  assert.equal(await consoleHeight(), consoleBefore + 48, "the console height is remembered");
});
