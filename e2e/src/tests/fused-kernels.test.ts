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

test("the graph view outlines the kernels a cpu session runs over the original graph: the first box holds exactly matmul, bias add and ReLU", async () => {
  await studio.setCode(`
import { nn, tensor, setModel } from "polychip";
setModel(new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3)), tensor(new Float32Array(8), { shape: [2, 4] }));
`);
  await studio.run();
  assert.equal((await studio.finished(60_000)).status, "done");
  await studio.tab("graph");
  await studio.page.waitForSelector('[data-testid="graph-svg"] .node', { timeout: 60_000 });
  const nodes = studio.page.locator('[data-testid="graph-svg"] .node');
  assert.equal(await nodes.count(), 5);
  assert.match((await studio.page.locator("label:has([data-testid=show-fused])").textContent()) ?? "", /outline fused \(2\)/);
  await studio.page.check('[data-testid="show-fused"]');
  assert.equal(await nodes.count(), 5, "the graph stays as written: matmul, add, relu, matmul, add");
  const outline = studio.page.locator('.fused-outline[data-fused="matmul add relu"]');
  assert.equal(await outline.count(), 1);
  assert.match((await outline.textContent()) ?? "", /fused: matmul → add → relu/);
  const members = ((await outline.getAttribute("data-members")) ?? "").split(" ");
  assert.equal(members.length, 3);
  const box = (await outline.locator("rect").first().boundingBox())!;
  const contains = (b: { x: number; y: number; width: number; height: number }) =>
    b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height;
  const ops: string[] = [];
  for (const id of members) {
    const node = studio.page.locator(`.node[data-node="${id}"]`);
    ops.push(((await node.locator(".node-op").textContent()) ?? "").replace(/\s*\+\d+w$/, "").trim());
    assert.ok(contains((await node.boundingBox())!), `the outline holds member node ${id}`);
  }
  assert.deepEqual(ops.sort(), ["add", "matmul", "relu"]);
  for (let i = 0; i < 5; i++) {
    if (members.includes(String(i))) continue;
    assert.ok(!contains((await studio.page.locator(`.node[data-node="${i}"]`).boundingBox())!), `node ${i} is not a member and lies outside`);
  }
  await outline.locator(".fused-label").click();
  assert.equal(await studio.page.textContent('[data-testid="node-fused-ops"]'), "matmul → add → relu");
  await studio.screenshot("graph-fused");
  await studio.page.uncheck('[data-testid="show-fused"]');
  assert.equal(await studio.page.locator(".fused-outline").count(), 0);
});

test("on webgpu, a compiled step's fused kernel row expands to the member ops it ran", async (t) => {
  const gpu = (await studio.snapshot()).devices?.find((d) => d.name === "webgpu");
  if (!gpu?.available) return t.skip(`webgpu unavailable: ${gpu?.reason ?? "not listed"}`);
  await studio.selectDevice("webgpu");
  await studio.setCode(`
import { compile, tensor } from "polychip";
const step = compile((a, b) => a.mul(b).add(1).relu());
const a = tensor([1, -2, 3, -4]);
for (let i = 0; i < 3; i++) console.log(Array.from(await step(a, a).data()).join(","));
`);
  await studio.run();
  const snap = await studio.finished(120_000);
  assert.equal(snap.status, "done", snap.error?.message);
  assert.deepEqual(
    snap.console.map((c) => c.text),
    ["2,5,10,17", "2,5,10,17", "2,5,10,17"],
  );
  await studio.tab("profiler");
  const fused = snap.opRows.find((r) => r.name === "fused" && r.device === "webgpu");
  assert.ok(fused, `a fused kernel ran on webgpu: ${snap.opRows.map((r) => `${r.name}@${r.device}`).join(", ")}`);
  assert.ok(!snap.opRows.some((r) => r.name.startsWith("[")), `no row is named by a fused pipeline's JSON key: ${snap.opRows.map((r) => r.name).join(", ")}`);
  await studio.page.click('[data-testid="expand-fused"]');
  const members = await studio.page.locator('[data-testid="fused-members"] td:first-child').allTextContents();
  assert.deepEqual(members, ["mul → add → relu"]);
  await studio.screenshot("profiler-fused-members");
});
