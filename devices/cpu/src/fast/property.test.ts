/**
 * The WASM kernels against the reference kernels on random problems: odd sizes, ragged blocks,
 * offsets, transposed / strided / broadcast input views, and special values. Elementwise ops,
 * pooling and max/min reductions must agree bit for bit; GEMM-based ops (float32 accumulation,
 * possibly fused multiply-add) within a tolerance scaled by the size of the dot products.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { sizeOf, window2d, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";

const fast = new CpuDevice({ threads: 2 });
const reference = new CpuDevice({ wasm: false });

/** xorshift32: a reproducible stream per test. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof rng>;

/** Values in [-1, 1), a few of them exact ties, zeros of both signs, and (when asked) NaN and ±Inf. */
function values(r: Rng, n: number, special = false): number[] {
  return Array.from({ length: n }, () => {
    const u = r.next();
    if (special && u < 0.02) return r.pick([NaN, Infinity, -Infinity, -0]);
    if (u < 0.1) return Math.round(r.next() * 4) / 4 - 0.5; // ties
    return r.next() * 2 - 1;
  });
}

/** A view of `shape` in one of several layouts: contiguous, offset, last two dims transposed, every other element, broadcast. */
function view(r: Rng, shape: number[], special = false, layouts = ["contiguous", "offset", "transposed", "strided", "broadcast"]): HostInput {
  const layout = r.pick(layouts);
  const rank = shape.length;
  const contiguous = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
  if (layout === "offset") return { values: values(r, sizeOf(shape) + 5, special), shape, offset: 5, strides: contiguous(shape) };
  if (layout === "transposed" && rank >= 2) {
    const stored = [...shape.slice(0, -2), shape[rank - 1]!, shape[rank - 2]!];
    const s = contiguous(stored);
    const strides = [...s.slice(0, -2), s[rank - 1]!, s[rank - 2]!];
    return { values: values(r, sizeOf(shape), special), shape, strides };
  }
  if (layout === "strided" && rank >= 1) {
    const stored = [...shape.slice(0, -1), shape[rank - 1]! * 2];
    const strides = contiguous(stored);
    strides[rank - 1] = 2;
    return { values: values(r, sizeOf(stored), special), shape, strides };
  }
  if (layout === "broadcast" && rank >= 1) {
    const d = r.int(0, rank - 1);
    const stored = shape.map((x, i) => (i === d ? 1 : x));
    const strides = contiguous(stored);
    strides[d] = 0;
    return { values: values(r, sizeOf(stored), special), shape, strides };
  }
  return { values: values(r, sizeOf(shape), special), shape };
}

function both(op: string, inputs: HostInput[], attrs: Attrs = {}) {
  const a = runOp(op, inputs, attrs, { device: fast })[0]!;
  const b = runOp(op, inputs, attrs, { device: reference })[0]!;
  assert.deepEqual(a.shape, b.shape);
  assert.equal(a.dtype, b.dtype);
  return [a.values, b.values] as const;
}

function assertSame(op: string, got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${op} ${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

/** |got - want| <= tol · (1 + |want|), for sums of up to `terms` products of values in [-1, 1]. */
function assertNear(op: string, got: ArrayLike<number>, want: ArrayLike<number>, terms: number, what: string): void {
  const tol = 2e-6 * Math.max(8, terms);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!))))
      assert.fail(`${op} ${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

test("matmul: random sizes, batch broadcast, transposes and strided operands", () => {
  const r = rng(11);
  for (let t = 0; t < 40; t++) {
    const [M, N, K] = [r.int(1, 37), r.int(1, 45), r.int(1, 70)];
    const batch = r.pick([[], [r.int(1, 3)], [2, r.int(1, 2)]]);
    const ta = r.next() < 0.3;
    const tb = r.next() < 0.3;
    const a = view(r, [...batch, ta ? K : M, ta ? M : K]);
    const b = view(r, [...batch, tb ? N : K, tb ? K : N]);
    const attrs = { transposeA: ta, transposeB: tb };
    const [got, want] = both("matmul", [a, b], attrs);
    assertNear("matmul", got, want, K, JSON.stringify({ M, N, K, batch, attrs, a: a.strides, b: b.strides }));
  }
});

test("matmul of a few rows against a transposed weight (the dot-product path): random sizes and batches, same on 1 and 2 threads", () => {
  const r = rng(23);
  const single = new CpuDevice({ threads: 1 });
  for (let t = 0; t < 40; t++) {
    const [M, N, K] = [r.int(1, 4), r.int(1, 45), r.int(1, 70)];
    const batch = r.pick([[], [r.int(1, 3)], [2, r.int(1, 2)]]);
    const a = view(r, [...batch, M, K], false, ["contiguous", "offset", "broadcast"]);
    const b = view(r, [...batch, N, K], false, ["contiguous", "offset", "broadcast"]);
    const attrs = { transposeB: true };
    const [got, want] = both("matmul", [a, b], attrs);
    const what = JSON.stringify({ M, N, K, batch, a: a.strides, b: b.strides });
    assertNear("matmul", got, want, K, what);
    assertSame("matmul", runOp("matmul", [a, b], attrs, { device: single })[0]!.values, got, `1 vs 2 threads ${what}`);
  }
});

/** A random conv geometry that fits. */
function convCase(r: Rng) {
  for (;;) {
    const groups = r.pick([1, 1, 2]);
    const Cg = r.int(1, 4);
    const OCg = r.int(1, 5);
    const [KH, KW] = [r.int(1, 3), r.int(1, 3)];
    const attrs = {
      strides: [r.int(1, 2), r.int(1, 2)],
      pads: [r.int(0, 2), r.int(0, 2), r.int(0, 2), r.int(0, 2)],
      dilations: [r.int(1, 2), r.int(1, 2)],
      groups,
    };
    const x = [r.int(1, 3), Cg * groups, r.int(3, 13), r.int(3, 13)];
    const w = [OCg * groups, Cg, KH, KW];
    try {
      const win = window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
      return { x, w, attrs, out: [x[0]!, w[0]!, win.oh, win.ow], taps: Cg * KH * KW };
    } catch {
      // the window does not fit: draw again
    }
  }
}

test("conv2d and both gradients: random geometry, groups, pointwise kernels", () => {
  const r = rng(22);
  for (let t = 0; t < 30; t++) {
    const { x, w, attrs, out, taps } = t < 3 ? { x: [2, 3, 5, 6], w: [4, 3, 1, 1], attrs: {}, out: [2, 4, 5, 6], taps: 3 } : convCase(r);
    const what = JSON.stringify({ x, w, attrs });
    const xs = { values: values(r, sizeOf(x)), shape: x };
    const ws = { values: values(r, sizeOf(w)), shape: w };
    const bias = { values: values(r, w[0]!), shape: [w[0]!] };
    const g = { values: values(r, sizeOf(out)), shape: out };
    let [got, want] = both("conv2d", [xs, ws, bias], attrs);
    assertNear("conv2d", got, want, taps, what);
    [got, want] = both("conv2dGradInput", [g, ws], { ...attrs, inputShape: x });
    assertNear("conv2dGradInput", got, want, w[0]! * 9, what);
    [got, want] = both("conv2dGradWeight", [xs, g], { ...attrs, weightShape: w });
    assertNear("conv2dGradWeight", got, want, out[0]! * out[2]! * out[3]!, what);
  }
});

test("conv2d reads transposed, strided and broadcast inputs (through a contiguous copy): dense, pointwise and depthwise", () => {
  const r = rng(5);
  const cases: [number[], Attrs][] = [
    [[4, 3, 3, 3], { pads: [1, 1, 1, 1] }],
    [[5, 3, 1, 1], {}],
    [[6, 1, 3, 3], { pads: [1, 0, 1, 2], strides: [2, 1], groups: 3 }],
  ];
  for (const layout of ["transposed", "strided", "broadcast"]) {
    for (const [w, attrs] of cases) {
      const x = view(r, [2, 3, 6, 7], false, [layout]);
      const [got, want] = both("conv2d", [x, { values: values(r, sizeOf(w)), shape: w }], attrs);
      assertNear("conv2d", got, want, w[1]! * w[2]! * w[3]!, `${layout} input, weight ${w}`);
    }
  }
});

test("pooling and its gradients: random windows, padding, dilation, ceil mode; ties, -0 and NaN", () => {
  const r = rng(33);
  for (let t = 0; t < 40; t++) {
    const shape = [r.int(1, 2), r.int(1, 3), r.int(2, 12), r.int(2, 12)];
    const kernel = t % 4 === 0 ? [2, 2] : [r.int(1, 3), r.int(1, 3)];
    const attrs: Attrs =
      t % 4 === 0
        ? { kernel, strides: [2, 2] }
        : {
            kernel,
            strides: [r.int(1, 3), r.int(1, 3)],
            pads: [r.int(0, 1), r.int(0, 1), r.int(0, 1), r.int(0, 1)],
            dilations: [r.int(1, 2), r.int(1, 2)],
            ceilMode: r.next() < 0.3,
            countIncludePad: r.next() < 0.5,
          };
    let win;
    try {
      win = window2d("pool", shape[2]!, shape[3]!, kernel[0]!, kernel[1]!, attrs);
    } catch {
      continue;
    }
    const x = { values: values(r, sizeOf(shape), true), shape };
    const g = { values: values(r, shape[0]! * shape[1]! * win.oh * win.ow), shape: [shape[0]!, shape[1]!, win.oh, win.ow] };
    const what = JSON.stringify({ shape, attrs });
    for (const [op, inputs, extra] of [
      ["maxPool2d", [x], {}],
      ["maxPool2dGrad", [x, g], {}],
      ["avgPool2d", [x], {}],
      ["avgPool2dGrad", [g], { inputShape: shape }],
    ] as [string, HostInput[], Attrs][]) {
      const [got, want] = both(op, inputs, { ...attrs, ...extra });
      assertSame(op, got, want, what);
    }
  }
});

test("elementwise: binary ops and comparisons over random broadcasts and views, bit for bit", () => {
  const r = rng(44);
  const binary = ["add", "sub", "mul", "div", "maximum", "minimum", "equal", "notEqual", "less", "lessEqual", "greater", "greaterEqual"];
  for (let t = 0; t < 80; t++) {
    const rank = r.int(0, 4);
    const shape = Array.from({ length: rank }, () => r.int(1, 9));
    // b broadcasts: some dims set to 1, or leading dims dropped.
    const bShape = shape.slice(r.int(0, rank)).map((d) => (r.next() < 0.3 ? 1 : d));
    const op = binary[t % binary.length]!;
    const a = view(r, shape, true);
    const b = r.next() < 0.2 ? { values: values(r, 1, true), shape: [] } : view(r, bShape, true);
    const [got, want] = both(op, [a, b]);
    assertSame(op, got, want, JSON.stringify({ shape, bShape, a: a.strides, b: b.strides }));
  }
});

test("elementwise: unary ops and casts on odd lengths, bit for bit", () => {
  const r = rng(55);
  for (const op of ["neg", "abs", "sqrt", "reciprocal", "floor", "ceil", "round", "relu"]) {
    for (const n of [1, 3, 4, 7, 33, 1029]) {
      const [got, want] = both(op, [view(r, [n], true)]);
      assertSame(op, got, want, `n=${n}`);
    }
  }
  for (const [from, to] of [
    ["bool", "float32"],
    ["float32", "bool"],
    ["int32", "float32"],
  ]) {
    for (const n of [1, 5, 64, 1031]) {
      const raw = values(r, n, true).map((v) => (from === "bool" ? (v > 0 ? 1 : 0) : from === "int32" ? Math.round(v * 2 ** 30) : v));
      const [got, want] = both("cast", [{ values: raw, shape: [n], dtype: from as "bool" }], { to });
      assertSame("cast", got, want, `${from}->${to} n=${n}`);
    }
  }
});

test("reductions: random shapes, axes and views; max/min bit for bit, sums to float32 rounding", () => {
  const r = rng(66);
  for (let t = 0; t < 45; t++) {
    const rank = r.int(1, 4);
    const shape = Array.from({ length: rank }, () => r.int(1, 8));
    const axes = [...Array(rank).keys()].filter(() => r.next() < 0.5);
    const op = ["reduceSum", "reduceMax", "reduceMin"][t % 3]!;
    const x = view(r, shape, op !== "reduceSum");
    const attrs = { axes: axes.length ? axes : null, keepDims: r.next() < 0.5 };
    const [got, want] = both(op, [x], attrs);
    const what = JSON.stringify({ shape, attrs, strides: x.strides });
    if (op === "reduceSum") assertNear(op, got, want, 1, what);
    else assertSame(op, got, want, what);
  }
});

/** Equal, or one float32 ulp apart (the float64 exp/log may differ from Math's in the last float64 bits). */
function assertWithinUlp(op: string, got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    if (Object.is(g, w)) continue;
    if (!(Math.abs(g - w) <= Math.abs(w) * 2 ** -23)) assert.fail(`${op} ${what}: element ${i} is ${g}, the reference gives ${w}`);
  }
}

test("layerNorm launched again with the same attrs object re-plans for new shapes and thread counts (a planned session's reuse)", () => {
  const r = rng(78);
  const attrs = { axis: -1, epsilon: 1e-5 };
  const single = new CpuDevice({ threads: 1 });
  try {
    for (const [shape, device] of [
      [[3, 8], fast],
      [[3, 8], single],
      [[2, 5, 12], fast],
      [[4, 4096], fast],
      [[3, 8], fast],
    ] as const) {
      const d = shape.at(-1)!;
      const inputs = [
        { values: values(r, sizeOf(shape)), shape: [...shape] },
        { values: values(r, d), shape: [d] },
        { values: values(r, d), shape: [d] },
      ];
      const got = runOp("layerNorm", inputs, attrs, { device })[0]!.values;
      const want = runOp("layerNorm", inputs, attrs, { device: reference })[0]!.values;
      assertWithinUlp("layerNorm", got, want, `${JSON.stringify(shape)} on ${device.fast!.threads} threads`);
    }
  } finally {
    single.dispose();
  }
});

test("softmax over the last axis (exp four at a time) gives the bits of the one-at-a-time path over another axis", () => {
  const r = rng(91);
  for (let t = 0; t < 40; t++) {
    const [L, D] = [r.int(1, 5), r.int(1, 40)];
    // Spreads up to ~1500 reach exp's subnormal and underflow ranges; a few NaN and ±Inf lines too.
    const scale = r.pick([1, 20, 200, 1500]);
    const rows = values(r, L * D, t % 4 === 0).map((v) => v * scale);
    const byRow = { values: rows, shape: [L, D] };
    const byColumn = { values: Array.from({ length: L * D }, (_, i) => rows[(i % L) * D + Math.floor(i / L)]!), shape: [D, L] };
    for (const op of ["softmax", "logSoftmax"]) {
      const last = runOp(op, [byRow], { axis: 1 }, { device: fast })[0]!.values;
      const first = runOp(op, [byColumn], { axis: 0 }, { device: fast })[0]!.values;
      for (let i = 0; i < L * D; i++) {
        const j = (i % D) * L + Math.floor(i / D);
        if (!Object.is(last[i], first[j]))
          assert.fail(`${op} [${L}, ${D}] scale ${scale}: element ${i} is ${last[i]} along the last axis, ${first[j]} along the first`);
      }
    }
  }
});

test("softmax, logSoftmax, layerNorm and batchNorm agree with the reference to the last float32 bit", () => {
  const r = rng(77);
  for (let t = 0; t < 30; t++) {
    const rank = r.int(1, 4);
    const shape = Array.from({ length: rank }, () => r.int(1, 9));
    const axis = r.int(-rank, rank - 1);
    const x = { values: values(r, sizeOf(shape), t % 3 === 0).map((v) => v * 20), shape };
    for (const op of ["softmax", "logSoftmax"]) {
      const [got, want] = both(op, [x], { axis });
      assertWithinUlp(op, got, want, JSON.stringify({ shape, axis }));
    }
    const norm = shape.slice(((axis % rank) + rank) % rank);
    const n = sizeOf(norm);
    const params =
      t % 2
        ? [
            { values: values(r, n), shape: norm },
            { values: values(r, n), shape: norm },
          ]
        : [];
    const [got, want] = both("layerNorm", [{ values: values(r, sizeOf(shape)), shape }, ...params], { axis, epsilon: 1e-3 });
    assertWithinUlp("layerNorm", got, want, JSON.stringify({ shape, axis }));
    if (rank >= 2) {
      const C = shape[1]!;
      const channel = (lo: number) => ({ values: values(r, C).map((v) => lo + Math.abs(v)), shape: [C] });
      const [bg, bw] = both("batchNorm", [{ values: values(r, sizeOf(shape)), shape }, channel(0.5), channel(-1), channel(-0.5), channel(0.1)], {
        epsilon: 1e-5,
      });
      assertWithinUlp("batchNorm", bg, bw, JSON.stringify({ shape }));
    }
  }
});

test.after(() => fast.dispose());
