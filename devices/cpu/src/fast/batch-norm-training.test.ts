/**
 * The batch-norm training composites on the cpu device (WASM loops on 1 and 3 threads, and the
 * reference decomposition with wasm off) against the formulas in float64: forward y, batch mean
 * and biased variance; backward dx, dweight, dbias.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sizeOf } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { assertClose, randomValues } from "../test-utils.ts";

const devices = [new CpuDevice({ threads: 1 }), new CpuDevice({ threads: 3 }), new CpuDevice({ wasm: false })];
after(() => Promise.all(devices.map((d) => d.dispose())));

const EPS = 1e-5;

const tensorOf = (seed: number, shape: number[], scale = 1, shift = 0): HostInput => ({
  values: randomValues(sizeOf(shape), seed).map((v) => Math.fround(v * scale + shift)),
  shape,
});

/** Per-channel float64 statistics and both passes of the formula. */
function expected(x: HostInput, w: HostInput, b: HostInput, g: HostInput) {
  const [n, c] = x.shape as [number, number];
  const s = sizeOf(x.shape) / (n * c);
  const at = (i: number, ch: number, k: number) => (i * c + ch) * s + k;
  const count = n * s;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const y = new Float64Array(x.values.length);
  const dx = new Float64Array(x.values.length);
  const dweight = new Float64Array(c);
  const dbias = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const each = (f: (i: number) => void) => {
      for (let i = 0; i < n; i++) for (let k = 0; k < s; k++) f(at(i, ch, k));
    };
    each((i) => (mean[ch] += x.values[i]! / count));
    each((i) => (variance[ch] += (x.values[i]! - mean[ch]!) ** 2 / count));
    const invstd = 1 / Math.sqrt(variance[ch]! + EPS);
    each((i) => (y[i] = (x.values[i]! - mean[ch]!) * invstd * w.values[ch]! + b.values[ch]!));
    let sumG = 0;
    let sumGX = 0;
    each((i) => {
      sumG += g.values[i]!;
      sumGX += g.values[i]! * (x.values[i]! - mean[ch]!) * invstd;
    });
    dbias[ch] = sumG;
    dweight[ch] = sumGX;
    each((i) => (dx[i] = w.values[ch]! * invstd * (g.values[i]! - sumG / count - ((x.values[i]! - mean[ch]!) * invstd * sumGX) / count)));
  }
  return { y, mean, variance, dx, dweight, dbias };
}

function check(shape: number[], shift = 0, scale = 1, statsOnly = false): void {
  const c = shape[1]!;
  const x = tensorOf(1, shape, scale, shift);
  const w = tensorOf(2, [c], 1, 1.5);
  const b = tensorOf(3, [c]);
  const g = tensorOf(4, shape);
  const want = expected(x, w, b, g);
  for (const device of devices) {
    const [y, mean, variance] = runOp("batchNormTraining", [x, w, b], { epsilon: EPS }, { device });
    const what = `${JSON.stringify(shape)} shift ${shift} on ${device.info.details?.threads ?? 1} thread(s), wasm ${device.fast !== undefined}`;
    assert.deepEqual(y!.shape, shape, what);
    assertClose(mean!.values, want.mean, 1e-6 * (1 + Math.abs(shift)), 1e-6);
    // The reference decomposition (like eager code) centres on the float32 mean: off by up to (ulp(mean)/2)², ~1e-9 at a mean of 1000.
    assertClose(variance!.values, want.variance, 1e-6 * scale * scale + 2e-9, 1e-5);
    // With |mean| >> std, x - mean in float32 (as eager computes it) is far from the float64 formula: only the statistics are compared.
    if (statsOnly) continue;
    assertClose(y!.values, want.y, 1e-5, 1e-5);
    const stats: HostInput[] = [mean!, variance!].map((v) => ({ values: v.values, shape: v.shape }));
    const [dx, dweight, dbias] = runOp("batchNormTrainingGrad", [g, x, w, ...stats], { epsilon: EPS }, { device });
    assertClose(dbias!.values, want.dbias, 1e-4, 1e-5);
    assertClose(dweight!.values, want.dweight, 1e-4, 1e-5);
    assertClose(dx!.values, want.dx, 1e-5, 1e-4);
  }
}

test("batchNormTraining and its gradient match the float64 formulas on NCHW activations", () => {
  check([4, 3, 6, 6]);
  check([8, 16, 14, 14]);
});

test("lines whose length is not a multiple of four take the scalar tail", () => {
  check([2, 5, 5, 5]);
  check([3, 2, 7]);
});

test("a [N, C] input (one element per line) is normalised over the batch", () => {
  check([6, 4]);
});

test("a transposed (non-contiguous) input takes the decomposition and agrees with the contiguous one", () => {
  const shape = [3, 4, 5];
  const x = tensorOf(5, shape);
  // The same values stored with the dims reversed: element (i, j, k) at k·12 + j·3 + i.
  const stored = new Array<number>(x.values.length);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 5; k++) stored[k * 12 + j * 3 + i] = x.values[(i * 4 + j) * 5 + k]!;
  const strided: HostInput = { values: stored, shape, strides: [1, 3, 12] };
  const w = tensorOf(6, [4]);
  const b = tensorOf(7, [4]);
  for (const device of devices) {
    const [y] = runOp("batchNormTraining", [strided, w, b], { epsilon: EPS }, { device });
    const [want] = runOp("batchNormTraining", [x, w, b], { epsilon: EPS }, { device });
    assertClose(y!.values, want!.values, 1e-6, 1e-5);
  }
});

test("a mean far from zero does not cancel the variance", () => {
  check([4, 3, 5, 5], 1000, 0.01, true);
});

test("lines longer than one float32 block (1024 elements) are summed block by block", () => {
  check([2, 3, 40, 41]);
  check([2, 3, 40, 41], 1000, 0.01, true);
});

test("batchNormTrainingRelu equals batchNormTraining then relu, bit for bit, NaN and zeros included", () => {
  const shape = [3, 4, 5, 7];
  const values = Array.from(tensorOf(8, shape).values);
  // A NaN in channel 1 makes that channel's statistics NaN; channel 2 is constant, so it normalises to zero plus its bias (-0).
  values[1 * 35 + 3] = Number.NaN;
  for (let i = 0; i < 3; i++) for (let k = 0; k < 35; k++) values[(i * 4 + 2) * 35 + k] = 0.25;
  const x: HostInput = { values, shape };
  const w = tensorOf(9, [4], 1, 1.5);
  const b: HostInput = { values: [0.1, -0.2, -0, 0.3], shape: [4] };
  for (const device of devices) {
    const fused = runOp("batchNormTrainingRelu", [x, w, b], { epsilon: EPS }, { device });
    const [y, ...stats] = runOp("batchNormTraining", [x, w, b], { epsilon: EPS }, { device });
    const [relu] = runOp("relu", [{ values: y!.values, shape }], {}, { device });
    const what = `on ${device.info.details?.threads ?? 1} thread(s), wasm ${device.fast !== undefined}`;
    assert.deepEqual(Array.from(fused[0]!.values), Array.from(relu!.values), what);
    assert.ok(Array.from(fused[0]!.values).some((v) => v > 0) && Array.from(fused[0]!.values).some((v) => Object.is(v, 0)), what);
    stats.forEach((s, i) => assert.deepEqual(Array.from(fused[i + 1]!.values), Array.from(s!.values), what));
  }
});

test("batchNormTrainingReluGrad equals batchNormTrainingGrad of the gradient masked where the forward's relu was 0", () => {
  const shape = [3, 4, 5, 7];
  const x = tensorOf(10, shape);
  const w = tensorOf(11, [4], 1, 1.5);
  // Biases of both signs: from mostly masked (-1) to mostly open (+1) channels.
  const b: HostInput = { values: [-1, -0.2, 0.3, 1], shape: [4] };
  const g = tensorOf(12, shape);
  for (const device of devices) {
    const [r, mean, variance] = runOp("batchNormTrainingRelu", [x, w, b], { epsilon: EPS }, { device });
    const stats: HostInput[] = [mean!, variance!].map((v) => ({ values: v.values, shape: v.shape }));
    const masked: HostInput = { values: Array.from(g.values, (v, i) => (r!.values[i]! > 0 ? v : 0)), shape };
    const want = runOp("batchNormTrainingGrad", [masked, x, w, ...stats], { epsilon: EPS }, { device });
    const got = runOp("batchNormTrainingReluGrad", [g, x, w, b, ...stats], { epsilon: EPS }, { device });
    const zeros = Array.from(r!.values).filter((v) => v === 0).length;
    assert.ok(zeros > 10 && zeros < r!.values.length - 10, "the mask closes some elements and opens others");
    got.forEach((o, i) => assertClose(o.values, Array.from(want[i]!.values), 1e-6, 1e-6));
  }
});
