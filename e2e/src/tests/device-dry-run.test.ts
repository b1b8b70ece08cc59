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

// A language-model head: a softmax over a 32,768-token vocabulary. One row of it does not fit the
// simulated NPU's 512 KiB of neuron RAM per core, so npu-sim's softmax kernel refuses it.
const VOCAB_HEAD = `import { tensor, log } from "polychip";
const VOCAB = 32768;
const logits = tensor(new Float32Array(2 * VOCAB).fill(0.5), { shape: [2, VOCAB] });
const probs = logits.softmax(-1);
log(0, { top: await probs.max().item() });
console.log("finished");
`;

const guidance = async () => (await studio.page.locator('[data-testid="device-guidance"]').allTextContents()).join(" ");

test("before any Run, a dry run of this code on the chosen device names the op that will fall back", async (t) => {
  const npu = (await studio.snapshot()).devices?.find((d) => d.name === "npu-sim");
  if (!npu?.available) return t.skip(`npu-sim unavailable: ${npu?.reason ?? "not listed"}`);
  await studio.setCode(VOCAB_HEAD);
  await studio.selectDevice("npu-sim");
  await studio.page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="device-guidance"]')].some((b) => /dry run of this code's first step/.test(b.textContent ?? "")),
    undefined,
    { timeout: 30_000 },
  );
  assert.match(await guidance(), /on npu-sim: 1 op will fall back to the CPU: softmax \(float32\) ×1; 512\.0 KiB moved in that step/);
  const option = await studio.page.$eval('[data-testid="device-select"]', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent);
  assert.equal(option, "npu-sim · 1 op falls back", "the device menu says so too");
  const snap = await studio.snapshot();
  assert.equal(snap.status, "idle", "nothing was run: the dry run is not a run");
  assert.deepEqual([snap.metrics.length, snap.console.length], [0, 0], "and left no output");
  await studio.screenshot("device-dry-run");
  await studio.selectDevice("cpu");
  assert.doesNotMatch(await guidance(), /dry run/, "the cpu has every kernel: no dry run");
});

test("the real run agrees with the dry run; a clean program is said to run wholly on the device", async (t) => {
  const npu = (await studio.snapshot()).devices?.find((d) => d.name === "npu-sim");
  if (!npu?.available) return t.skip(`npu-sim unavailable: ${npu?.reason ?? "not listed"}`);
  await studio.selectDevice("npu-sim");
  await studio.run();
  const snap = await studio.finished(60_000);
  assert.equal(snap.status, "done", snap.error?.message);
  assert.deepEqual(
    snap.fallback.map((f) => `${f.op} ${f.dtype} ×${f.count}`),
    ["softmax float32 ×1"],
  );
  await studio.setCode(VOCAB_HEAD.replace("32768", "1024"));
  await studio.page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="device-guidance"]')].some((b) => /every op ran on npu-sim, nothing fell back/.test(b.textContent ?? "")),
    undefined,
    { timeout: 30_000 },
  );
  await studio.selectDevice("cpu");
});
