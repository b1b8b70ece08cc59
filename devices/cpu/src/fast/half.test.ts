/**
 * float16 conv2d, matmul, their epilogues and pooling on the fast path (half.ts): each must equal
 * the float32 fast kernel's result on the same values rounded once to float16, bit for bit, and
 * must actually launch the WASM kernel. Covers strides, padding, dilation, groups, bias, a
 * transposed input, batched and broadcast matmuls with transposes.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { float16BitsToFloat32, float32ToFloat16Bits, roundToFloat16, sizeOf, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";
import { launched } from "./testing/conv2d.ts";

const fast = new CpuDevice({ threads: 2 });
after(() => fast.dispose());

/** Random values already on the float16 grid, so the float32 and float16 runs see the same numbers. */
function halfValues(shape: number[], seed: number): number[] {
  return randomValues(sizeOf(shape), seed).map(roundToFloat16);
}

const as = (dtype: "float16" | "float32", inputs: HostInput[]) => inputs.map((i) => ({ ...i, dtype }));

/** Runs `op` in float16 and float32 on the fast device; asserts float16 = round(float32) bitwise and that a WASM kernel ran. */
function checkRoundsFloat32(op: string, inputs: HostInput[], attrs: Attrs, what: string): string[] {
  const half = launched(fast, op, as("float16", inputs), attrs);
  const single = runOp(op, as("float32", inputs), attrs, { device: fast })[0]!.values;
  assert.ok(half.kernels.length > 0, `${what}: no WASM kernel ran`);
  assert.equal(half.values.length, single.length, what);
  for (let i = 0; i < single.length; i++) {
    const want = float32ToFloat16Bits(single[i]!);
    const got = float32ToFloat16Bits(half.values[i]!);
    if (got !== want) assert.fail(`${what}: element ${i} is ${half.values[i]}, float32 rounded gives ${roundToFloat16(single[i]!)}`);
  }
  return half.kernels;
}

const CONVS: { name: string; x: number[]; w: number[]; bias?: boolean; attrs: Attrs }[] = [
  { name: "3x3 same padding, bias", x: [2, 5, 9, 7], w: [6, 5, 3, 3], bias: true, attrs: { pads: [1, 1, 1, 1] } },
  { name: "stride 2, asymmetric pads", x: [1, 3, 11, 10], w: [4, 3, 3, 2], attrs: { strides: [2, 2], pads: [0, 1, 2, 0] } },
  { name: "dilation 2", x: [1, 4, 12, 12], w: [5, 4, 3, 3], attrs: { dilations: [2, 2], pads: [2, 2, 2, 2] } },
  { name: "groups 2, bias", x: [2, 6, 8, 8], w: [4, 3, 3, 3], bias: true, attrs: { groups: 2, pads: [1, 1, 1, 1] } },
  { name: "depthwise", x: [1, 8, 10, 9], w: [8, 1, 3, 3], attrs: { groups: 8, pads: [1, 1, 1, 1] } },
  { name: "pointwise, bias", x: [2, 16, 6, 5], w: [12, 16, 1, 1], bias: true, attrs: {} },
  { name: "64 channels, K past one block", x: [1, 64, 9, 9], w: [32, 64, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
];

for (const [k, c] of CONVS.entries()) {
  test(`float16 conv2d ${c.name} equals the float32 kernel rounded to float16`, () => {
    const inputs: HostInput[] = [
      { values: halfValues(c.x, 10 * k + 1), shape: c.x },
      { values: halfValues(c.w, 10 * k + 2), shape: c.w },
      ...(c.bias ? [{ values: halfValues([c.w[0]!], 10 * k + 3), shape: [c.w[0]!] }] : []),
    ];
    checkRoundsFloat32("conv2d", inputs, c.attrs, c.name);
  });
}

test("float16 conv2d of a transposed (strided) input equals the float32 kernel rounded", () => {
  // x is [1, 3, 7, 6] read from an NCWH buffer: its last two dims swapped through the strides.
  const values = halfValues([1, 3, 6, 7], 70);
  const x: HostInput = { values, shape: [1, 3, 7, 6], strides: [126, 42, 1, 7] };
  checkRoundsFloat32("conv2d", [x, { values: halfValues([4, 3, 3, 3], 71), shape: [4, 3, 3, 3] }], { pads: [1, 1, 1, 1] }, "transposed input");
});

const MATMULS: { name: string; a: number[]; b: number[]; attrs: Attrs; kernel: string }[] = [
  { name: "2-D", a: [37, 70], b: [70, 29], attrs: {}, kernel: "matmul" },
  { name: "batched", a: [3, 9, 17], b: [3, 17, 11], attrs: {}, kernel: "matmul" },
  { name: "transposed A and B", a: [2, 13, 10], b: [2, 7, 13], attrs: { transposeA: true, transposeB: true }, kernel: "matmul" },
  { name: "one row against Wᵀ", a: [1, 40], b: [24, 40], attrs: { transposeB: true }, kernel: "matmulDot" },
];

for (const [k, m] of MATMULS.entries()) {
  test(`float16 matmul ${m.name} equals the float32 kernel rounded to float16`, () => {
    const inputs = [
      { values: halfValues(m.a, 100 + 2 * k), shape: m.a },
      { values: halfValues(m.b, 101 + 2 * k), shape: m.b },
    ];
    assert.ok(checkRoundsFloat32("matmul", inputs, m.attrs, m.name).includes(m.kernel), `${m.name}: ${m.kernel} did not run`);
  });
}

test("float16 matmul against a batch-broadcast (stride 0) operand equals the float32 kernel rounded", () => {
  const a = { values: halfValues([2, 3, 6, 8], 150), shape: [2, 3, 6, 8] };
  const b = { values: halfValues([3, 8, 5], 151), shape: [2, 3, 8, 5], strides: [0, 40, 5, 1] };
  checkRoundsFloat32("matmul", [a, b], {}, "broadcast batch");
});

const RELU_BIAS = {
  program: JSON.stringify([
    { op: "add", args: [0, 1] },
    { op: "relu", args: [2] },
  ]),
  outputs: [3],
};

test("float16 conv2dEpilogue runs the fast conv: equals the rounded float32 conv, then the program in float16", () => {
  const x = { values: halfValues([1, 6, 8, 8], 200), shape: [1, 6, 8, 8] };
  const w = { values: halfValues([5, 6, 3, 3], 201), shape: [5, 6, 3, 3] };
  const shift = { values: halfValues([5, 1, 1], 202), shape: [5, 1, 1] };
  const attrs = { pads: [1, 1, 1, 1] };
  const got = launched(fast, "conv2dEpilogue", as("float16", [x, w, shift]), { ...attrs, ...RELU_BIAS, baseInputs: 2 });
  assert.ok(got.kernels.includes("conv2dForward"), `kernels: ${got.kernels}`);
  const conv = runOp("conv2d", as("float32", [x, w]), attrs, { device: fast })[0]!.values;
  for (let i = 0; i < conv.length; i++) {
    const want = roundToFloat16(Math.max(0, roundToFloat16(conv[i]!) + shift.values[Math.floor(i / 64)]!));
    assert.equal(got.values[i], want, `element ${i}`);
  }
});

test("float16 matmulEpilogue runs the fast GEMM: equals the rounded float32 product, then the program in float16", () => {
  const a = { values: halfValues([2, 9, 12], 210), shape: [2, 9, 12] };
  const b = { values: halfValues([2, 12, 7], 211), shape: [2, 12, 7] };
  const bias = { values: halfValues([7], 212), shape: [7] };
  const got = launched(fast, "matmulEpilogue", as("float16", [a, b, bias]), { ...RELU_BIAS, baseInputs: 2 });
  assert.ok(got.kernels.includes("matmul"), `kernels: ${got.kernels}`);
  const product = runOp("matmul", as("float32", [a, b]), {}, { device: fast })[0]!.values;
  for (let i = 0; i < product.length; i++) {
    assert.equal(got.values[i], roundToFloat16(Math.max(0, roundToFloat16(product[i]!) + bias.values[i % 7]!)), `element ${i}`);
  }
});

test("float16 maxPool2d and avgPool2d run in WASM and equal the float32 kernels rounded", () => {
  const x = { values: halfValues([2, 3, 9, 8], 220), shape: [2, 3, 9, 8] };
  const attrs = { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
  assert.ok(checkRoundsFloat32("maxPool2d", [x], attrs, "maxPool2d").includes("maxPool2d"));
  assert.ok(checkRoundsFloat32("avgPool2d", [x], attrs, "avgPool2d").includes("avgPool2d"));
});

/** conv2d (stride 1, square `pad`) in float64, and Σ|x·w| per output: the scale of float32's accumulation error. */
function exactConv(x: number[], w: number[], [N, C, H, W]: number[], [OC, , KH, KW]: number[], pad: number) {
  const sum = new Float64Array(N * OC * H * W);
  const magnitude = new Float64Array(sum.length);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OC; o++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          const at = ((n * OC + o) * H + i) * W + j;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < KH; a++)
              for (let b = 0; b < KW; b++) {
                const y = i + a - pad;
                const z = j + b - pad;
                if (y < 0 || y >= H || z < 0 || z >= W) continue;
                const p = x[((n * C + c) * H + y) * W + z]! * w[((o * C + c) * KH + a) * KW + b]!;
                sum[at]! += p;
                magnitude[at]! += Math.abs(p);
              }
        }
  return { sum, magnitude };
}

test("float16 conv2d is within half a float16 ulp (plus float32's accumulation bound) of the float64 result", () => {
  const xs = [1, 64, 10, 10];
  const ws = [16, 64, 3, 3];
  const x = halfValues(xs, 300);
  const w = halfValues(ws, 301).map((v) => roundToFloat16(v * 0.2));
  const got = runOp(
    "conv2d",
    as("float16", [
      { values: x, shape: xs },
      { values: w, shape: ws },
    ]),
    { pads: [1, 1, 1, 1] },
    { device: fast },
  )[0]!.values;
  const { sum, magnitude } = exactConv(x, w, xs, ws, 1);
  const K = 64 * 9;
  for (let i = 0; i < sum.length; i++) {
    const e = sum[i]!;
    const halfUlp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(e) || 2 ** -14)), -14) - 11);
    const bound = halfUlp * (1 + 2 ** -10) + K * 2 ** -24 * magnitude[i]!;
    if (!(Math.abs(got[i]! - e) <= bound)) assert.fail(`element ${i}: ${got[i]} is ${Math.abs(got[i]! - e)} from the exact ${e} (bound ${bound})`);
  }
});

const referenceDevice = new CpuDevice({ wasm: false });

/** float16 `op` on the fast device: the reference kernel's float16 bits, from a WASM kernel. */
function checkMatchesReference(op: string, inputs: HostInput[], what: string): void {
  const got = launched(fast, op, as("float16", inputs), {});
  assert.ok(got.kernels.length > 0, `${what}: no WASM kernel ran`);
  const want = runOp(op, as("float16", inputs), {}, { device: referenceDevice })[0]!.values;
  assert.equal(got.values.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got.values[i], want[i])) assert.fail(`${what}: element ${i} is ${got.values[i]}, the reference gives ${want[i]}`);
}

test("float16 binary and compare ops run in WASM with the reference's bits, broadcasting a row", () => {
  // Zeros, ties and overflow to Inf included: 60000 · 2 overflows float16, x / 0 is ±Inf.
  const a = { values: [...halfValues([6, 7], 400).slice(0, 40), 0, -0, 60000, 2, 1], shape: [5, 9] };
  const b = { values: [...halfValues([8], 401), 0], shape: [1, 9], strides: [0, 1] };
  for (const op of ["add", "sub", "mul", "div", "maximum", "minimum", "less", "equal"]) checkMatchesReference(op, [a, { ...b, shape: [5, 9] }], op);
});

test("float16 unary ops run in WASM with the reference's bits", () => {
  const x = { values: [...halfValues([50], 410).map((v) => v * 7), 0, -0, 2.5, -3.5, 65504], shape: [55] };
  for (const op of ["neg", "abs", "sqrt", "reciprocal", "floor", "ceil", "round", "relu"]) checkMatchesReference(op, [x], op);
});

test("every float16 value survives the WASM decode and the rounding exactly: x · 1 over all 65536 bit patterns", () => {
  // 65537 elements: the WASM decode takes whole groups of four, the table the one left over.
  const all = Array.from({ length: 65537 }, (_, b) => float16BitsToFloat32(b & 0xffff));
  const ones = { values: [1], shape: [65537], strides: [0] };
  const got = launched(fast, "mul", as("float16", [{ values: all, shape: [65537] }, ones]), {});
  assert.ok(got.kernels.includes("cast_float16_float32"), `kernels: ${got.kernels}`);
  for (let b = 0; b < all.length; b++) if (!Object.is(got.values[b], all[b])) assert.fail(`half 0x${b.toString(16)}: ${got.values[b]}, want ${all[b]}`);
});

/** Runs WASM export `name` (a 4-at-a-time cast) over `input` in the device memory; returns the output bytes. */
function runCast(name: string, input: Uint16Array | Uint32Array, outBytes: number): ArrayBuffer {
  const rt = fast.fast!.runtime;
  const n = input.length;
  const from = rt.arena.alloc(input.byteLength)!;
  const to = rt.arena.alloc(n * outBytes)!;
  try {
    new Uint8Array(rt.f32.buffer, from, input.byteLength).set(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
    rt.run(fast.fast!.pool, name, [from, to, n, 4096], Math.ceil(n / 4096), 0);
    return rt.f32.buffer.slice(to, to + n * outBytes) as ArrayBuffer;
  } finally {
    rt.arena.free(from, input.byteLength);
    rt.arena.free(to, n * outBytes);
  }
}

test("the WASM cast_float16_float32 decodes every float16 bit pattern to its exact float32 value", () => {
  const got = new Float32Array(
    runCast(
      "cast_float16_float32",
      Uint16Array.from({ length: 65536 }, (_, b) => b),
      4,
    ),
  );
  for (let b = 0; b < 65536; b++) if (!Object.is(got[b], Math.fround(float16BitsToFloat32(b)))) assert.fail(`half 0x${b.toString(16)}: ${got[b]}`);
});

test("the WASM cast_float32_float16 rounds like float32ToFloat16Bits: every half's neighbourhood and random patterns", () => {
  const patterns: number[] = [];
  // Around every float16 value and every midpoint between two (ties both ways), both signs.
  for (let h = 0; h < 0x7c01; h++) {
    const at = Math.fround(float16BitsToFloat32(h));
    const bits = new Uint32Array(Float32Array.of(at).buffer)[0]!;
    for (const d of [-1, 0, 1, 0xfff, 0x1000, 0x1001]) patterns.push((bits + d) >>> 0, ((bits + d) | 0x80000000) >>> 0);
  }
  patterns.push(0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x33000000, 0x33000001, 0xb3000000, 0x477fefff, 0x477ff000);
  let s = 99;
  for (let i = 0; i < 100_000; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    patterns.push(s >>> 0);
  }
  const input = Uint32Array.from(patterns.slice(0, patterns.length - (patterns.length % 4)));
  const got = new Uint16Array(runCast("cast_float32_float16", input, 2));
  const values = new Float32Array(input.buffer);
  for (let i = 0; i < input.length; i++) {
    const want = float32ToFloat16Bits(values[i]!);
    if (got[i] !== want) assert.fail(`float32 bits 0x${input[i]!.toString(16)}: got 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
  }
});
