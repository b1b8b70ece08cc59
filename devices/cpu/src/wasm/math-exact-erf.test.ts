/**
 * math-exact-erf.ts against the HAL's erf, double for double: the scalar function and both lanes of
 * the f64x2 steps, on the neighbours of every place the HAL's erf changes branch or table row
 * (each centre k/32, each midpoint (2k+1)/64 where the nearest centre changes, 0, 6), a dense
 * float32 sweep of [-7, 7], random float32s and random doubles of every exponent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { UNARY_SCALAR } from "@polychip/hal";
import { ModuleBuilder } from "./encoder.ts";
import { defineFunction } from "./define.ts";
import { call, choose, f64x2, get } from "./instructions.ts";
import { emitExactErf } from "./math-exact-erf.ts";
import { emitExactMathSimd } from "./math-exact-simd.ts";

const erf = UNARY_SCALAR.erf!;

interface Erfs {
  readonly erf: (x: number) => number;
  /** Lane `lane` of erf([a, b]). */
  readonly erf2: (a: number, b: number, lane: number) => number;
}

function instantiate(): Erfs {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  emitExactErf(mod, "", true);
  const vector = emitExactMathSimd(mod, "erf", "", true).f64x2!;
  defineFunction(mod, "erf2", { params: { a: "f64", b: "f64", lane: "i32" }, result: "f64" }, (p) => {
    // f64x2.replace_lane 1 (SIMD opcode 0x22): [a, b].
    const out = call(vector, [f64x2.splat(get(p.a)), get(p.b), 0xfd, 0x22, 1]);
    return choose("f64", get(p.lane), f64x2.extractLane(out, 1), f64x2.extractLane(out, 0));
  });
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  return new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as unknown as Erfs;
}

const wasm = instantiate();
const same = (got: number, want: number): boolean => Object.is(got, want) || (got !== got && want !== want);

/** Neighbouring doubles and float32s of `v` and -v, `reach` steps each way. */
function neighbours(v: number, reach: number, out: number[]): void {
  const d = new Float64Array(1);
  const dw = new BigInt64Array(d.buffer);
  const f = new Float32Array(1);
  const fw = new Uint32Array(f.buffer);
  for (const s of [v, -v]) {
    d[0] = s;
    const bits = dw[0]!;
    f[0] = s;
    const fbits = fw[0]!;
    for (let k = -reach; k <= reach; k++) {
      dw[0] = bits + BigInt(k);
      out.push(d[0]!);
      fw[0] = fbits + k;
      out.push(f[0]!);
    }
  }
}

function branchPoints(): Float64Array {
  const out: number[] = [NaN, Infinity, -Infinity, 0, -0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-45, 1e300, 3.4028234663852886e38];
  for (let k = 0; k <= 6 * 64 + 4; k++) neighbours(k / 64, 4, out);
  for (const v of [6, 1e-8, 2 ** -28, 2 ** -54, 1.1754943508222875e-38]) neighbours(v, 8, out);
  return new Float64Array(out);
}

/** Every `stride`-th float32 in [-limit, limit], by bit pattern. */
function float32Grid(limit: number, stride: number): Float64Array {
  const f = new Float32Array([limit]);
  const top = new Uint32Array(f.buffer)[0]!;
  const out: number[] = [];
  const u = new Uint32Array(f.buffer);
  for (let b = 0; b <= top; b += stride) {
    u[0] = b;
    out.push(f[0]!, -f[0]!);
  }
  return new Float64Array(out);
}

/** Random bit patterns: float32s (`float32`) or doubles, every exponent equally likely, NaN and Inf included. */
function randomValues(count: number, seed: number, float32: boolean): Float64Array {
  let s = seed >>> 0;
  const words = new Uint32Array(float32 ? count : 2 * count);
  for (let i = 0; i < words.length; i++) words[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return float32 ? Float64Array.from(new Float32Array(words.buffer)) : new Float64Array(words.buffer);
}

/** Uniform doubles in [-7, 7]: the table's range, with full 52-bit mantissas. */
function uniformDoubles(count: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Float64Array.from({ length: count }, () => (next() + next() / 2 ** 32 - 0.5) * 14);
}

function assertSame(xs: Float64Array): void {
  const bad: string[] = [];
  for (let i = 0; i < xs.length && bad.length < 5; i++) {
    const x = xs[i]!;
    if (!same(wasm.erf(x), erf(x))) bad.push(`erf(${x}) = ${wasm.erf(x)}, the HAL gives ${erf(x)}`);
    const y = xs[xs.length - 1 - i]!;
    for (const lane of [0, 1]) {
      const v = lane === 0 ? x : y;
      const got = wasm.erf2(x, y, lane);
      if (!same(got, erf(v))) bad.push(`erf(${v}) = ${got} in f64x2 lane ${lane}, the HAL gives ${erf(v)}`);
    }
  }
  assert.deepEqual(bad, [], `${bad.length} mismatches in ${xs.length} arguments`);
}

test("erf: the neighbours of every centre, midpoint, 0, 6 and the specials equal the HAL's doubles", () => assertSame(branchPoints()));
test("erf: every 997th float32 in [-7, 7] equals the HAL's double", () => assertSame(float32Grid(7, 997)));
test("erf: a million uniform doubles in [-7, 7] equal the HAL's doubles", () => assertSame(uniformDoubles(1_000_000, 4242)));
test("erf: random float32s and doubles of every exponent equal the HAL's doubles", () => {
  assertSame(randomValues(300_000, 12345, true));
  assertSame(randomValues(300_000, 6789, false));
});
