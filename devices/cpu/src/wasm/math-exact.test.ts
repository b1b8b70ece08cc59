import { test } from "node:test";
import assert from "node:assert/strict";
import { ModuleBuilder } from "./encoder.ts";
import { emitExactMath } from "./math-exact.ts";
import { emitExactMathSimd } from "./math-exact-simd.ts";
import { defineFunction } from "./define.ts";
import { call, choose, f64x2, get } from "./instructions.ts";

type F = (x: number) => number;

function instantiate(): Record<"exp" | "expm1" | "tanh" | "sigmoid", F> {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  emitExactMath(mod, "", true);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } });
  return instance.exports as unknown as Record<"exp" | "expm1" | "tanh" | "sigmoid", F>;
}

const wasm = instantiate();
const REFERENCE: Record<keyof typeof wasm, F> = {
  exp: Math.exp,
  expm1: Math.expm1,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (bits: number): number => {
  u32[0] = bits;
  return f32[0]!;
};

/** Every `stride`-th float32 in [-limit, limit], by bit pattern (both signs). */
function float32Grid(limit: number, stride: number): Float64Array {
  f32[0] = limit;
  const top = u32[0]!;
  const out = new Float64Array(2 * Math.ceil((top + 1) / stride));
  let n = 0;
  for (let b = 0; b <= top; b += stride) {
    const v = fromBits(b);
    out[n++] = v;
    out[n++] = -v;
  }
  return out.subarray(0, n);
}

/** Random float32s over the whole range (every exponent equally likely), NaN and Inf included. */
function randomFloat32(count: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = fromBits(s);
  }
  return out;
}

/** Random doubles: all bit patterns of the high word (every exponent), random low words. */
function randomFloat64(count: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(count);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < 2 * count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    words[i] = s;
  }
  return out;
}

/** Arguments at the functions' branch points and thresholds, with their neighbouring doubles and float32s. */
function specialValues(): Float64Array {
  const centres = [
    0,
    1,
    2,
    0.25,
    0.5,
    3,
    6,
    22,
    56 * Math.LN2,
    Math.LN2 / 2,
    1.5 * Math.LN2,
    2 ** -28,
    2 ** -54,
    2 ** -29,
    1e-300,
    88.72283,
    88.7228394,
    89,
    103.972,
    104,
    87.33654,
    709.782712893384,
    709.78,
    745.1332191019411,
    745.2,
    708.4,
    710,
    1e10,
    3.4028234663852886e38,
    5e-324,
    2.2250738585072014e-308,
    1.401298464324817e-45,
    1.1754943508222875e-38,
  ];
  for (let k = -1100; k <= 1100; k++) centres.push(k * Math.LN2, (k + 0.5) * Math.LN2);
  const d = new Float64Array(1);
  const w = new BigInt64Array(d.buffer);
  const out: number[] = [NaN, Infinity, -Infinity, -0];
  for (const c of centres) {
    for (const v of [c, -c]) {
      d[0] = v;
      for (let s = -3n; s <= 3n; s++) {
        const n = new BigInt64Array([w[0]! + s]);
        out.push(new Float64Array(n.buffer)[0]!);
      }
      const f = Math.fround(v);
      f32[0] = f;
      const bits = u32[0]!;
      for (let s = -3; s <= 3; s++) out.push(fromBits(bits + s));
    }
  }
  // The doubles whose high word is a threshold's (0x3fd62e42: ln2/2 lies inside it), sampled.
  for (const high of [0x3fd62e42, 0x3ff0a2b2, 0x3e300000, 0x40862e42, 0x4043687a]) {
    for (let low = 0; low < 2 ** 32; low += 65521) {
      const w32 = new Uint32Array([low, high]);
      const v = new Float64Array(w32.buffer)[0]!;
      out.push(v, -v);
    }
  }
  return new Float64Array(out);
}

/** Fails with the first arguments where the WASM function's double differs from the reference's. */
function assertSame(name: keyof typeof wasm, xs: Float64Array): void {
  const f = wasm[name];
  const ref = REFERENCE[name];
  const bad: string[] = [];
  for (let i = 0; i < xs.length && bad.length < 5; i++) {
    const x = xs[i]!;
    const got = f(x);
    const want = ref(x);
    if (!Object.is(got, want) && !(got !== got && want !== want)) bad.push(`${name}(${x}) = ${got}, Math gives ${want}`);
  }
  assert.deepEqual(bad, [], `${name}: ${bad.length} mismatches in ${xs.length} arguments`);
}

const NAMES = ["exp", "expm1", "tanh", "sigmoid"] as const;
const SPECIAL = specialValues();
const GRID = float32Grid(20, 257);
const RANDOM32 = randomFloat32(500_000, 12345);
const RANDOM64 = randomFloat64(500_000, 6789);
const WIDE = float32Grid(120, 4099);

for (const name of NAMES) {
  test(`${name}: special values and the neighbours of every branch point equal Math's doubles`, () => assertSame(name, SPECIAL));
  test(`${name}: every 257th float32 in [-20, 20] (${GRID.length} values) equals Math's double`, () => assertSame(name, GRID));
  test(`${name}: random float32s over the whole range equal Math's doubles`, () => assertSame(name, RANDOM32));
  test(`${name}: random doubles of every exponent equal Math's doubles`, () => assertSame(name, RANDOM64));
  test(`${name}: every 4099th float32 in [-120, 120] (past the float32 overflow points) equals Math's double`, () => assertSame(name, WIDE));
}

/** The f64x2 functions, lane by lane: pairs of neighbouring arguments in the two lanes. */
function instantiateSimd(): Record<"exp" | "sigmoid" | "tanh", (a: number, b: number, lane: number) => number> {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  for (const name of ["exp", "sigmoid", "tanh"] as const) {
    const vector = emitExactMathSimd(mod, name, "", true).f64x2!;
    defineFunction(mod, name, { params: { a: "f64", b: "f64", lane: "i32" }, result: "f64" }, (p) => {
      // f64x2.replace_lane 1 (SIMD opcode 0x22): [a, b].
      const pair = [f64x2.splat(get(p.a)), get(p.b), 0xfd, 0x22, 1];
      const out = call(vector, pair);
      return choose("f64", get(p.lane), f64x2.extractLane(out, 1), f64x2.extractLane(out, 0));
    });
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  return new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as never;
}

const simd = instantiateSimd();

function assertSameSimd(name: "exp" | "sigmoid" | "tanh", xs: Float64Array): void {
  const ref = REFERENCE[name];
  const f = simd[name];
  const bad: string[] = [];
  const same = (got: number, want: number) => Object.is(got, want) || (got !== got && want !== want);
  for (let i = 0; i + 1 < xs.length && bad.length < 5; i += 2) {
    const [a, b] = [xs[i]!, xs[i + 1]!];
    if (!same(f(a, b, 0), ref(a))) bad.push(`${name}(${a}) = ${f(a, b, 0)} in lane 0, Math gives ${ref(a)}`);
    if (!same(f(a, b, 1), ref(b))) bad.push(`${name}(${b}) = ${f(a, b, 1)} in lane 1, Math gives ${ref(b)}`);
  }
  assert.deepEqual(bad, [], `${name} f64x2: ${bad.length} mismatches in ${xs.length} arguments`);
}

for (const name of ["exp", "sigmoid", "tanh"] as const) {
  test(`${name} on f64x2: special values and branch-point neighbours equal Math's doubles in both lanes`, () => assertSameSimd(name, SPECIAL));
  test(`${name} on f64x2: every 257th float32 in [-20, 20] equals Math's double`, () => assertSameSimd(name, GRID));
  test(`${name} on f64x2: random float32s and doubles of every exponent equal Math's doubles`, () => {
    assertSameSimd(name, RANDOM32);
    assertSameSimd(name, RANDOM64);
    assertSameSimd(name, WIDE);
  });
}
