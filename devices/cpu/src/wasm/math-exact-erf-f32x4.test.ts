/**
 * The f32x4 erf (math-exact-simd.ts: the quick polynomial, the full one where the quick one's
 * error bound straddles a float32 rounding boundary) against the HAL's erf rounded to float32, bit
 * for bit: every lane of four-lane vectors over a dense float32 sweep, random float32s of every
 * exponent, the specials, and float32s whose HAL erf lies next to a rounding boundary, so that the
 * full polynomial's path runs and is checked too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { UNARY_SCALAR } from "@polychip/hal";
import { ModuleBuilder } from "./encoder.ts";
import { defineFunction, locals } from "./define.ts";
import { CONSTANT_TABLES_END } from "./constant-tables.ts";
import { call, forRange, get, i32, set, v128 } from "./instructions.ts";
import { ERF_QUICK_RELATIVE_ERROR } from "./math-exact-erf.ts";
import { emitExactMathSimd } from "./math-exact-simd.ts";

const erf = UNARY_SCALAR.erf!;
const CHUNK = 4096;

/** erf of `count` float32s (a multiple of four) at CONSTANT_TABLES_END, in place, four lanes a call. */
function instantiate(): { memory: WebAssembly.Memory; run: (count: number) => void } {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  const vector = emitExactMathSimd(mod, "erf", "").f32x4;
  defineFunction(mod, "run", { params: { count: "i32" }, exported: true }, (p, fn) => {
    const [i, at] = locals(fn, "i32", 2);
    return [
      forRange(i, i32.const(0), get(p.count), 4, set(at, i32.add(i32.const(CONSTANT_TABLES_END), i32.shl(get(i), i32.const(2)))), v128.store(get(at), call(vector, v128.load(get(at))))),
    ];
  });
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as unknown as { run: (count: number) => void };
  return { memory, run: exports.run };
}

const wasm = instantiate();

function assertSame(xs: Float32Array): void {
  const lanes = new Float32Array(wasm.memory.buffer, CONSTANT_TABLES_END, CHUNK);
  const want = new Float32Array(1);
  const bad: string[] = [];
  for (let start = 0; start < xs.length && bad.length < 5; start += CHUNK) {
    const part = xs.subarray(start, start + CHUNK);
    lanes.set(part);
    wasm.run(Math.ceil(part.length / 4) * 4);
    for (let i = 0; i < part.length && bad.length < 5; i++) {
      want[0] = erf(part[i]!);
      if (!Object.is(lanes[i], want[0]) && !(lanes[i] !== lanes[i] && want[0] !== want[0])) bad.push(`erf(${part[i]}) = ${lanes[i]}, the HAL rounds to ${want[0]}`);
    }
  }
  assert.deepEqual(bad, [], `${bad.length} mismatches in ${xs.length} arguments`);
}

/** Every `stride`-th float32 in [-limit, limit], by bit pattern. */
function float32Grid(limit: number, stride: number): Float32Array {
  const f = new Float32Array([limit]);
  const top = new Uint32Array(f.buffer)[0]!;
  const out: number[] = [];
  for (let b = 0; b <= top; b += stride) {
    const v = new Float32Array(new Uint32Array([b]).buffer)[0]!;
    out.push(v, -v);
  }
  return Float32Array.from(out);
}

/** Float32s whose HAL erf is within the quick bound of a float32 rounding boundary (the full polynomial decides them). */
function nearBoundaries(count: number): Float32Array {
  const out: number[] = [];
  const f = new Float32Array(2);
  const u = new Uint32Array(f.buffer);
  for (let b = 0x3c000000; out.length < count && b < 0x40c00000; b += 7) {
    u[0] = b;
    const y = erf(f[0]!);
    f[1] = y;
    const r = f[1]!;
    u[1] += y > r ? 1 : -1;
    const midpoint = (r + f[1]!) / 2;
    if (Math.abs(y - midpoint) < 4 * ERF_QUICK_RELATIVE_ERROR * Math.abs(y)) out.push(f[0]!, -f[0]!);
  }
  return Float32Array.from(out);
}

function randomFloat32(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) words[i] = s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return new Float32Array(words.buffer);
}

test("erf f32x4: specials and the ends of the table equal the HAL's erf rounded to float32", () =>
  assertSame(Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1.1754944e-38, 6, -6, 5.9999995, 1 / 64, 3 / 64, 1e-8])));
test("erf f32x4: every 211th float32 in [-7, 7] equals the HAL's erf rounded to float32", () => assertSame(float32Grid(7, 211)));
test("erf f32x4: random float32s of every exponent equal the HAL's erf rounded to float32", () => assertSame(randomFloat32(400_000, 97)));
test("erf f32x4: float32s whose erf lies next to a rounding boundary equal the HAL's (the full polynomial's path)", () => {
  const near = nearBoundaries(2000);
  assert.ok(near.length >= 1000, `only ${near.length} arguments near a boundary found`);
  assertSame(near);
});
