import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  ts: number;
  dur: number;
  tid: number;
}

before(async () => {
  studio = await StudioPage.open();
  await studio.setCode(`
import { nn, optim, tensor, crossEntropy, log } from "polychip";
const model = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3));
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const x = tensor(Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i)), { shape: [2, 1, 8, 8] });
const y = tensor(new Int32Array([0, 2]));
for (let step = 0; step < 4; step++) {
  const loss = crossEntropy(model.forward(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  log(step, { loss: await loss.item() });
}
`);
  await studio.run();
  const snap = await studio.finished(60_000);
  assert.equal(snap.status, "done", snap.error?.message);
  await studio.tab("profiler");
  await studio.page.waitForSelector('[data-testid="timeline"]');
});

after(async () => {
  await studio?.close();
});

const inside = (child: TraceEvent, parent: TraceEvent) =>
  child.tid === parent.tid && child.ts >= parent.ts && child.ts + child.dur <= parent.ts + parent.dur + 1e-3;

test("the trace nests step → module → op → kernel on the cpu track", async () => {
  const trace = JSON.parse(await studio.page.evaluate(() => (window as any).polychipStudio.traceJson()));
  const complete: TraceEvent[] = trace.traceEvents.filter((e: TraceEvent) => e.ph === "X");
  const conv = complete.filter((e) => e.cat === "module" && e.name === "Sequential/Conv2d[0]");
  assert.equal(conv.length, 4, "one Conv2d range per step");
  const step = complete.find((e) => e.name === "step 2")!;
  const module = conv.find((m) => inside(m, step))!;
  assert.ok(module, "a Conv2d range inside step 2");
  const root = complete.find((e) => e.cat === "module" && e.name === "Sequential" && inside(module, e));
  assert.ok(root, "inside the Sequential's range");
  const op = complete.find((e) => e.cat === "op" && e.name === "conv2d" && inside(e, module))!;
  assert.ok(op, "the conv2d op inside the Conv2d module");
  const kernel = complete.find((e) => e.cat === "kernel" && inside(e, op));
  assert.ok(kernel, "a kernel inside the conv2d op");
  const linear = complete.find((e) => e.name === "Sequential/Linear[3]" && inside(e, step))!;
  assert.ok(
    complete.some((e) => e.cat === "op" && e.name === "matmul" && inside(e, linear)),
    "Linear runs a matmul",
  );
  const threads = trace.traceEvents.filter((e: any) => e.name === "thread_name");
  assert.equal(threads.find((t: any) => t.tid === module.tid).args.name, "cpu");
});

test("the timeline draws module rows and an ops row between data and the device tracks", async () => {
  const timeline = studio.page.locator('[data-testid="timeline"]');
  assert.equal(await timeline.getAttribute("data-lanes"), "steps,module,module,ops,track");
  const table = (await studio.page.textContent('[data-testid="timeline-table"]')) ?? "";
  assert.match(table, /modules20\d/, "4 steps × (the Sequential and its 4 layers)");
  assert.ok(await studio.hoverTimelineLane(1), "a module row shows a tooltip");
  assert.match((await studio.page.textContent(".tooltip")) ?? "", /^Sequential module/);
});

test("wheel, + / − and arrows zoom and pan the timeline; 0 shows everything again", async () => {
  const { page } = studio;
  const timeline = page.locator('[data-testid="timeline"]');
  const view = async () => ((await timeline.getAttribute("data-view")) ?? "").split(",").map(Number) as [number, number];
  const full = await view();
  const box = (await timeline.boundingBox())!;
  await page.mouse.move(box.x + 118 + (box.width - 118) / 2, box.y + 30);
  await page.mouse.wheel(0, -100);
  await page.waitForFunction(
    (v) => document.querySelector('[data-testid="timeline"]')!.getAttribute("data-view") !== v,
    `${full[0].toFixed(4)},${full[1].toFixed(4)}`,
  );
  const zoomed = await view();
  assert.ok(Math.abs(zoomed[1] - zoomed[0] - 0.8 * (full[1] - full[0])) < 0.01, `the wheel zoomed in by 0.8: ${zoomed} from ${full}`);
  assert.ok(zoomed[0] > full[0] && zoomed[1] < full[1], "around the pointer, inside the old view");
  await timeline.focus();
  await page.keyboard.press("-");
  const out = await view();
  assert.ok(Math.abs(out[1] - out[0] - (zoomed[1] - zoomed[0]) * 1.25) < 0.01, "− zooms out by 1.25");
  await page.keyboard.press("+");
  const inAgain = await view();
  const width = inAgain[1] - inAgain[0];
  await page.keyboard.press("ArrowRight");
  const panned = await view();
  assert.ok(Math.abs(panned[0] - inAgain[0] - width / 10) < 0.01 && Math.abs(panned[1] - panned[0] - width) < 0.01, "→ pans a tenth of the view");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("0");
  assert.deepEqual(await view(), full);
  await page.keyboard.press("?");
  const help = (await page.textContent('[data-testid="shortcuts-help"]')) ?? "";
  assert.match(help, /Shift\+wheel.*Pan along the time axis/);
  assert.match(help, /\+.*−.*Zoom in and out/);
  await page.keyboard.press("Escape");
});

test("dragging across the timeline selects a range and summarises where its time went", async () => {
  const { page } = studio;
  const timeline = page.locator('[data-testid="timeline"]');
  const [v0, v1] = ((await timeline.getAttribute("data-view")) ?? "").split(",").map(Number) as [number, number];
  const box = (await timeline.boundingBox())!;
  const plot = box.width - 118;
  const y = box.y + box.height - 20;
  // Half the view, centred on a forward of the model: where the steps fall in time depends on the
  // machine's load, so a fixed 25–75% drag could miss every forward.
  const length = (v1 - v0) / 2;
  const trace = JSON.parse(await page.evaluate(() => (window as any).polychipStudio.traceJson()));
  const forwards = (trace.traceEvents as TraceEvent[]).filter((e) => e.ph === "X" && e.cat === "module" && e.name === "Sequential");
  assert.equal(forwards.length, 4, "one Sequential forward per step");
  const forward = forwards[1]!;
  const centre = (forward.ts + forward.dur / 2) / 1000;
  // Clear of the plot's edges, where a drag stops short.
  const margin = (v1 - v0) / 20;
  const start = Math.min(Math.max(centre - length / 2, v0 + margin), v1 - margin - length);
  const xAt = (t: number) => box.x + 118 + ((t - v0) / (v1 - v0)) * plot;
  await page.mouse.move(xAt(start), y);
  await page.mouse.down();
  await page.mouse.move(xAt(start + length / 2), y, { steps: 4 });
  await page.mouse.move(xAt(start + length), y, { steps: 4 });
  await page.mouse.up();
  const summary = page.locator('[data-testid="range-summary"]');
  await summary.waitFor();
  const rows = await summary.locator("tbody tr").evaluateAll((trs) =>
    trs.map((tr) => ({
      kind: tr.getAttribute("data-kind"),
      name: tr.getAttribute("data-name"),
      share: Number(tr.querySelector("[data-share]")!.getAttribute("data-share")),
    })),
  );
  assert.ok(
    rows.some((r) => r.kind === "module" && r.name === "Sequential"),
    "the model's module is in the range",
  );
  assert.ok(rows.some((r) => r.kind === "op") && rows.some((r) => r.kind === "kernel"), "and its ops and kernels");
  assert.ok(
    rows.every((r) => r.share >= 0 && r.share <= 1.0001),
    "no row takes more than the whole range",
  );
  const kernelShare = rows.filter((r) => r.kind === "kernel").reduce((a, r) => a + r.share, 0);
  assert.ok(kernelShare > 0 && kernelShare <= 1.0001, `cpu kernels run one at a time: their shares add up to ${kernelShare}`);
  assert.deepEqual(
    rows.map((r) => r.share),
    [...rows.map((r) => r.share)].sort((a, b) => b - a),
    "longest first",
  );
  const extent = (await page.textContent('[data-testid="range-extent"]')) ?? "";
  assert.match(extent, /\(/);
  const shownLength = Number(/\(([\d.,]+) ms\)/.exec(extent)?.[1]?.replace(/,/g, "") ?? NaN);
  assert.ok(Math.abs(shownLength - length) / length < 0.05, `the range is half the view: ${extent} vs ${length.toFixed(3)} ms`);
  await studio.screenshot("profiler-range-summary");
  await timeline.focus();
  await page.keyboard.press("Escape");
  assert.equal(await summary.count(), 0, "Esc clears the range");
});
