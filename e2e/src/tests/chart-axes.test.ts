import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
  // Loss falls tenfold per step; the pause before step 2 separates wall time from steps.
  await studio.setCode(`
import { log, sleep } from "polychip";
for (let i = 0; i < 6; i++) {
  if (i === 2) await sleep(600);
  log(i, { loss: 10 ** -i });
}
`);
  await studio.run();
  assert.equal((await studio.finished(30_000)).status, "done");
  await studio.tab("charts");
  await studio.page.waitForSelector('[data-testid="chart-loss"] path[data-series="raw"]');
});

after(async () => {
  await studio?.close();
});

/** The raw loss line's points, in SVG pixels. */
async function rawPoints(): Promise<[number, number][]> {
  const d = (await studio.page.getAttribute('[data-testid="chart-loss"] path[data-series="raw"]', "d")) ?? "";
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

const gaps = (xs: number[]) => xs.slice(1).map((v, i) => v - xs[i]!);

test("log y spaces tenfold steps evenly, which linear y does not; the ticks are powers of ten", async () => {
  const linear = gaps((await rawPoints()).map((p) => p[1]));
  assert.ok(linear[0]! > 10 * linear[3]!, `on a linear axis the first drop dwarfs the later ones: ${linear.join(", ")}`);
  await studio.page.click('[data-testid="y-log"]');
  assert.equal(await studio.page.getAttribute('[data-testid="chart-loss"] svg', "data-y-scale"), "log");
  const log = gaps((await rawPoints()).map((p) => p[1]));
  assert.ok(Math.max(...log) - Math.min(...log) < 0.3, `equal drops in log space: ${log.join(", ")}`);
  const ticks = await studio.page.locator('[data-testid="chart-loss"] text.tick').allTextContents();
  for (const t of ["0.00001", "0.001", "1"]) assert.ok(ticks.includes(t), `tick ${t} in ${ticks.join(" ")}`);
  await studio.screenshot("charts-log-y");
  await studio.page.click('[data-testid="y-log"]');
});

test("a wall-time x axis shows the pause between steps 1 and 2", async () => {
  const byStep = gaps((await rawPoints()).map((p) => p[0]));
  assert.ok(Math.max(...byStep) - Math.min(...byStep) < 0.3, `steps are evenly spaced: ${byStep.join(", ")}`);
  await studio.page.selectOption('[data-testid="x-axis"]', "time");
  const byTime = gaps((await rawPoints()).map((p) => p[0]));
  assert.ok(byTime[1]! > 0.8 * byTime.reduce((a, b) => a + b, 0), `the pause takes most of the width: ${byTime.join(", ")}`);
  assert.match((await studio.page.textContent('[data-testid="chart-loss"]')) ?? "", /wall time \(s\)/);
  await studio.page.selectOption('[data-testid="x-axis"]', "step");
});

test("dragging across a chart zooms every chart into that range; Reset zoom shows everything again", async () => {
  const box = (await studio.page.locator('[data-testid="chart-loss"] svg').boundingBox())!;
  const all = await rawPoints();
  assert.equal(all.length, 6);
  // Steps sit at even x positions; brush from between steps 1 and 2 to between 3 and 4.
  const between = (a: number) => box.x + (all[a]![0] + all[a + 1]![0]) / 2;
  await studio.page.mouse.move(between(1), box.y + box.height / 2);
  await studio.page.mouse.down();
  await studio.page.mouse.move(between(3), box.y + box.height / 2, { steps: 4 });
  await studio.page.mouse.up();
  assert.equal(await studio.page.getAttribute('[data-testid="chart-loss"] svg', "data-zoomed"), "true");
  const zoomed = await rawPoints();
  assert.equal(zoomed.length, 4, "steps 2 and 3, and one neighbour each side drawn to the edges");
  assert.ok(zoomed[2]![0] - zoomed[1]![0] > 2 * (all[1]![0] - all[0]![0]), "the steps are drawn further apart");
  await studio.screenshot("charts-zoomed");
  await studio.page.click('[data-testid="reset-zoom"]');
  assert.equal((await rawPoints()).length, 6);
  assert.equal(await studio.page.isDisabled('[data-testid="reset-zoom"]'), true);
});
