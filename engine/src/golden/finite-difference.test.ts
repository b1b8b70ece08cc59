/**
 * Gradient checks independent of PyTorch: the engine's float32 backward against central
 * differences of its own forward, with the differencing done in float64 on the host.
 * Catches a backward that disagrees with its forward even where no fixture exists.
 */
import { test } from "node:test";
import {
  avgPool2d,
  batchNorm,
  conv2d,
  crossEntropy,
  div,
  gelu,
  layerNorm,
  logsumexp,
  matmul,
  maxPool2d,
  mul,
  noGrad,
  pow,
  softmax,
  sum,
  tensor,
  tidy,
  type Tensor,
} from "../index.ts";
import { assertClose } from "./fixtures.ts";

/** Step for the central difference: large enough that float32 rounding of the loss stays small against it. */
const STEP = 1e-2;
// Truncation error is O(STEP²) and float32 loss rounding ~1e-7/STEP: both well under these.
const TOLERANCE = { rtol: 2e-2, atol: 2e-3 };

/** Deterministic host values (mulberry32), rounded to float32 so host and device see the same numbers. */
function randomValues(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = Math.fround(lo + (hi - lo) * u);
  }
  return out;
}

/** Values with gaps of at least `gap` between any two, shuffled: max-pooling keeps its winners under ±STEP. */
function spreadValues(seed: number, n: number, gap = 0.1): Float64Array {
  const keys = randomValues(seed, n);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
  const out = new Float64Array(n);
  idx.forEach((slot, rank) => (out[slot] = Math.fround((rank - n / 2) * gap)));
  return out;
}

interface Operand {
  shape: number[];
  values: Float64Array;
  /** Checked by differencing; others are constants (targets, running stats). */
  differentiate: boolean;
  dtype?: "float32" | "int32";
}

const operand = (shape: number[], values: Float64Array, differentiate = true): Operand => ({ shape, values, differentiate });

function toTensors(ops: Operand[], requiresGrad: boolean): Tensor[] {
  return ops.map((o) =>
    o.dtype === "int32"
      ? tensor(Int32Array.from(o.values), { shape: o.shape })
      : tensor(Float32Array.from(o.values), { shape: o.shape, requiresGrad: requiresGrad && o.differentiate }),
  );
}

/** loss = sum(f(inputs) * w) for a fixed w, so every output element contributes with its own weight. */
async function evaluate(f: (xs: Tensor[]) => Tensor, ops: Operand[], weightSeed: number): Promise<number> {
  const xs = toTensors(ops, false);
  const loss = noGrad(() =>
    tidy(() => {
      const y = f(xs);
      return sum(mul(y, tensor(Float32Array.from(randomValues(weightSeed, y.size)), { shape: y.shape })));
    }),
  );
  const v = await loss.item();
  loss.dispose();
  xs.forEach((x) => x.dispose());
  return v;
}

async function checkGradients(f: (xs: Tensor[]) => Tensor, ops: Operand[], weightSeed = 99): Promise<void> {
  const xs = toTensors(ops, true);
  tidy(() => {
    const y = f(xs);
    sum(mul(y, tensor(Float32Array.from(randomValues(weightSeed, y.size)), { shape: y.shape }))).backward();
  });
  for (const [k, op] of ops.entries()) {
    if (!op.differentiate) continue;
    const analytic = await xs[k]!.grad!.data();
    const numeric = new Float64Array(op.values.length);
    for (let i = 0; i < op.values.length; i++) {
      const x0 = op.values[i]!;
      const up = Math.fround(x0 + STEP);
      const down = Math.fround(x0 - STEP);
      const perturbed = (v: number) => ops.map((o, j) => (j === k ? { ...o, values: o.values.map((u, m) => (m === i ? v : u)) } : o));
      const fUp = await evaluate(f, perturbed(up), weightSeed);
      const fDown = await evaluate(f, perturbed(down), weightSeed);
      numeric[i] = (fUp - fDown) / (up - down);
    }
    assertClose(analytic, Array.from(numeric), TOLERANCE, `input ${k}: engine gradient vs central difference`);
  }
  xs.forEach((x) => {
    x.grad?.dispose();
    x.dispose();
  });
}

test("finite differences: softmax over the middle dim", () => checkGradients(([x]) => softmax(x!, 1), [operand([2, 3, 2], randomValues(1, 12, -2, 2))]));

test("finite differences: layerNorm with weight and bias", () =>
  checkGradients(
    ([x, w, b]) => layerNorm(x!, [4], w, b),
    [operand([3, 4], randomValues(2, 12, -2, 2)), operand([4], randomValues(3, 4, 0.5, 1.5)), operand([4], randomValues(4, 4))],
  ));

test("finite differences: conv2d with stride, padding, groups and bias", () =>
  checkGradients(
    ([x, w, b]) => conv2d(x!, w!, b, { stride: 2, padding: 1, groups: 2 }),
    [operand([1, 4, 5, 5], randomValues(5, 100)), operand([4, 2, 3, 3], randomValues(6, 72)), operand([4], randomValues(7, 4))],
  ));

test("finite differences: maxPool2d with padding and ceil mode", () =>
  checkGradients(([x]) => maxPool2d(x!, 3, { stride: 2, padding: 1, ceilMode: true }), [operand([1, 2, 6, 6], spreadValues(8, 72))]));

test("finite differences: avgPool2d excluding padding", () =>
  checkGradients(([x]) => avgPool2d(x!, 3, { stride: 2, padding: 1, countIncludePad: false }), [operand([1, 1, 5, 5], randomValues(9, 25))]));

test("finite differences: batchNorm in training mode", () =>
  checkGradients(
    ([x, m, v, w, b]) => batchNorm(x!, m, v, w, b, true),
    [
      operand([4, 2, 2, 2], randomValues(10, 32, -2, 2)),
      operand([2], new Float64Array(2), false),
      operand([2], new Float64Array([1, 1]), false),
      operand([2], randomValues(11, 2, 0.5, 1.5)),
      operand([2], randomValues(12, 2)),
    ],
  ));

test("finite differences: cross-entropy with label smoothing", () =>
  checkGradients(
    ([x, t]) => crossEntropy(x!, t!, { labelSmoothing: 0.2 }),
    [operand([3, 4], randomValues(13, 12, -2, 2)), { shape: [3], values: new Float64Array([2, 0, 3]), differentiate: false, dtype: "int32" }],
  ));

test("finite differences: batched matmul with broadcasting, then gelu", () =>
  checkGradients(([a, b]) => gelu(matmul(a!, b!)), [operand([2, 1, 2, 3], randomValues(14, 12)), operand([2, 3, 2], randomValues(15, 12))]));

test("finite differences: pow and div with broadcasting, then logsumexp", () =>
  checkGradients(
    ([a, b, c]) => logsumexp(div(pow(a!, b!), c!), 1),
    [operand([2, 3], randomValues(16, 6, 0.5, 2)), operand([3], randomValues(17, 3, -1, 2)), operand([2, 1], randomValues(18, 2, 0.5, 2))],
  ));
