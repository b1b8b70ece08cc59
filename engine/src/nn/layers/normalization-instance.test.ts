import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, randn, rmsNorm, setDefaultDevice, tensor } from "../../index.ts";

setDefaultDevice("cpu");

test("InstanceNorm2d keeps no parameters or buffers by default, as torch", () => {
  const plain = new nn.InstanceNorm2d(3);
  assert.deepEqual([...plain.stateDict().keys()], []);
  const full = new nn.InstanceNorm2d(3, 1e-5, 0.1, { affine: true, trackRunningStats: true });
  assert.deepEqual([...full.stateDict().keys()].sort(), ["bias", "runningMean", "runningVar", "weight"]);
});

test("InstanceNorm2d tracking running stats updates them in training and uses them in eval", async () => {
  const layer = new nn.InstanceNorm2d(2, 1e-5, 0.5, { trackRunningStats: true });
  const x = tensor([1, 3, 1, 3, 10, 10, 12, 12], { shape: [1, 2, 2, 2] });
  const trained = Array.from(await layer.call(x).data());
  assert.ok(Math.abs(trained[0]! + 1) < 1e-3 && Math.abs(trained[1]! - 1) < 1e-3);
  assert.deepEqual(Array.from(await layer.runningMean!.data()), [1, 5.5]);
  // unbiased variance over 4 positions: 4/3 for both channels; halfway from 1.
  Array.from(await layer.runningVar!.data()).forEach((v) => assert.ok(Math.abs(v - (0.5 + 0.5 * (4 / 3))) < 1e-6));
  layer.eval();
  const evalOut = Array.from(await layer.call(tensor([1, 1, 1, 1, 5.5, 5.5, 5.5, 5.5], { shape: [1, 2, 2, 2] })).data());
  evalOut.forEach((v) => assert.ok(Math.abs(v) < 1e-5));
});

test("InstanceNorm refuses the wrong layout or channel count, naming the layer", () => {
  assert.throws(() => new nn.InstanceNorm1d(3).call(randn([2, 3, 4, 5])), /InstanceNorm1d: expects \[N, C, L\] or \[C, L\], got \[2, 3, 4, 5\]/);
  assert.throws(
    () => new nn.InstanceNorm2d(3, 1e-5, 0.1, { affine: true }).call(randn([1, 4, 2, 2])),
    /InstanceNorm2d: input \[1, 4, 2, 2\] has 4 channels, the layer was built for 3/,
  );
});

test("RMSNorm's default eps is float32's machine epsilon (torch 2.4), and it checks the normalized shape", async () => {
  const x = tensor([1e-4, -1e-4]);
  const layer = new nn.RMSNorm(2);
  const expected = 1e-4 / Math.sqrt(1e-8 + 2 ** -23);
  assert.ok(Math.abs((await layer.call(x).data())[0]! - expected) < 1e-6 * expected);
  assert.deepEqual(
    layer.namedParameters().map(([n, p]) => [n, p.shape]),
    [["weight", [2]]],
  );
  assert.equal(new nn.RMSNorm([2], 1e-6, { elementwiseAffine: false }).parameters().length, 0);
  assert.throws(() => rmsNorm(randn([2, 3]), [4]), /rmsNorm: normalized shape \[4\] does not match the end of input \[2, 3\]/);
});
