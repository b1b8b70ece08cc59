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

const program = (n: number) => `import { tensor } from "polychip";
const a = tensor(new Float32Array(64 * 64).fill(0.01), { shape: [64, 64] });
for (let i = 0; i < ${n}; i++) await a.matmul(a).data();
`;

/** Milliseconds from a duration as the studio writes it ("12.3 ms", "1.20 s", "850 µs"). */
function ms(text: string): number {
  const m = /([\d.,]+) (µs|ms|s|ns)/.exec(text)!;
  const v = Number(m[1]!.replace(/,/g, ""));
  return v * ({ ns: 1e-6, µs: 1e-3, ms: 1, s: 1000 } as Record<string, number>)[m[2]!]!;
}

async function runOn(device: string): Promise<void> {
  await studio.selectDevice(device);
  await studio.run();
  const snap = await studio.finished(60_000);
  assert.equal(snap.status, "done", snap.error?.message);
}

const banner = () => studio.page.textContent('[data-testid="device-estimate"]');

test("before Run on another device, the banner estimates the run time from earlier runs", async (t) => {
  const npu = (await studio.snapshot()).devices?.find((d) => d.name === "npu-sim");
  if (!npu?.available) return t.skip(`npu-sim unavailable: ${npu?.reason ?? "not listed"}`);
  await studio.setCode(program(8));
  await runOn("cpu");
  await studio.selectDevice("npu-sim");
  assert.match((await banner()) ?? "", /this code took .+ on cpu; nothing has run on npu-sim yet to compare/);
  await runOn("npu-sim");
  assert.match((await banner()) ?? "", /Estimated run time on npu-sim: ≈ .+: your last run of this code on npu-sim/);
  await studio.setCode(program(12));
  await runOn("cpu");
  await studio.selectDevice("npu-sim");
  const text = (await banner()) ?? "";
  const m = /≈ (.+?): this code took (.+?) on cpu, and code that ran on both took ([\d.]+)× as long on npu-sim/.exec(text);
  assert.ok(m, text);
  const [estimate, onCpu, ratio] = [ms(m[1]!), ms(m[2]!), Number(m[3])];
  assert.ok(Math.abs(estimate - onCpu * ratio) <= 0.06 * estimate, `${estimate} ≈ ${onCpu} × ${ratio}`);
  await studio.screenshot("device-estimate");
});
