import assert from "node:assert/strict";
import { test } from "node:test";
import { NonFiniteError } from "@polychip/hal";
import { detectAnomaly } from "./anomaly.ts";
import { registerPlugin, tensor, tidy } from "./index.ts";
import { isPrimitive, miniPlugin } from "./testing/mini-device.ts";

const nonFinite = (pattern: RegExp) => (e: Error) => e instanceof NonFiniteError && pattern.test(e.message);

test("detectAnomaly names the first op that produced a non-finite value, and where", async () => {
  await assert.rejects(
    detectAnomaly(() => tidy(() => tensor([4, -1, 9]).sqrt().mul(2).log())),
    nonFinite(/op 'sqrt' on 'cpu' produced NaN at element 1 of its float32\[3\] output \(inputs float32\[3\]\); its inputs were finite/),
  );
});

test("a non-finite value that came in with the data is reported as such, at the first op that read it", async () => {
  await assert.rejects(
    detectAnomaly(() => tidy(() => tensor([1, NaN]).mul(2).add(1))),
    nonFinite(
      /op 'mul' on 'cpu' produced NaN .*input 0 \(float32\[2\]\) already held NaN that no checked op produced: it came from outside \(host data such as the data set\)/,
    ),
  );
});

test("anomalies in the backward pass are found too", async () => {
  const x = tensor([0, 4], { requiresGrad: true });
  const y = x.sqrt().sum();
  await assert.rejects(
    detectAnomaly(() => y.backward()),
    nonFinite(/produced Infinity/),
  );
  x.dispose();
  y.dispose();
});

test("a finite computation passes through with its result, and checking stops afterwards", async () => {
  const out = await detectAnomaly(() => tidy(() => tensor([1, 2]).mul(3)));
  assert.deepEqual(Array.from(await out.data()), [3, 6]);
  const nan = tensor([-1]).log(); // outside detectAnomaly: not checked
  assert.ok(Number.isNaN((await nan.data())[0]!));
  out.dispose();
  nan.dispose();
});

test("on a device read asynchronously, the first op in program order is still the one named", async () => {
  await registerPlugin(miniPlugin({ name: "async-anomaly", keep: isPrimitive }));
  await assert.rejects(
    detectAnomaly(() => tidy(() => tensor([1, 0], { device: "async-anomaly" }).log().exp().neg())),
    nonFinite(/op 'log' on 'async-anomaly' produced -Infinity at element 1/),
  );
});

test("detectAnomaly cannot be nested", async () => {
  await assert.rejects(
    detectAnomaly(() => detectAnomaly(() => 1)),
    /already active/,
  );
});
