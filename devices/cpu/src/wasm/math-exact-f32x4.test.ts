/**
 * The f32x4 erf and tanh (math-exact-simd.ts: a quick form, the exact one where the quick one's
 * error bound straddles a float32 rounding boundary) against the exact doubles rounded to float32
 * (the HAL's erf, Math.tanh), bit for bit: every lane of four-lane vectors over a dense float32
 * sweep, random float32s of every exponent, the specials, and float32s whose exact value lies next
 * to a rounding boundary, so that the exact path runs and is checked too.
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

const EXACT = { erf: UNARY_SCALAR.erf!, tanh: Math.tanh };
type Name = keyof typeof EXACT;
const CHUNK = 4096;

/** `name` of `count` float32s (a multiple of four) at CONSTANT_TABLES_END, in place, four lanes a call. */
function instantiate(name: Name): { memory: WebAssembly.Memory; run: (count: number) => void } {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  const vector = emitExactMathSimd(mod, name, "").f32x4;
  defineFunction(mod, "run", { params: { count: "i32" }, exported: true }, (p, fn) => {
    const [i, at] = locals(fn, "i32", 2);
    return [
      forRange(
        i,
        i32.const(0),
        get(p.count),
        4,
        set(at, i32.add(i32.const(CONSTANT_TABLES_END), i32.shl(get(i), i32.const(2)))),
        v128.store(get(at), call(vector, v128.load(get(at)))),
      ),
    ];
  });
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as unknown as { run: (count: number) => void };
  return { memory, run: exports.run };
}

const WASM = { erf: instantiate("erf"), tanh: instantiate("tanh") };

function assertSame(name: Name, xs: Float32Array): void {
  const wasm = WASM[name];
  const exact = EXACT[name];
  const lanes = new Float32Array(wasm.memory.buffer, CONSTANT_TABLES_END, CHUNK);
  const want = new Float32Array(1);
  const bad: string[] = [];
  for (let start = 0; start < xs.length && bad.length < 5; start += CHUNK) {
    const part = xs.subarray(start, start + CHUNK);
    lanes.set(part);
    wasm.run(Math.ceil(part.length / 4) * 4);
    for (let i = 0; i < part.length && bad.length < 5; i++) {
      want[0] = exact(part[i]!);
      if (!Object.is(lanes[i], want[0]) && !(lanes[i] !== lanes[i] && want[0] !== want[0]))
        bad.push(`${name}(${part[i]}) = ${lanes[i]}, exactly rounded ${want[0]}`);
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

/** Float32s whose exact value is within the quick bound of a float32 rounding boundary (the exact path decides them). */
function nearBoundaries(name: Name, count: number): Float32Array {
  const out: number[] = [];
  const f = new Float32Array(2);
  const u = new Uint32Array(f.buffer);
  for (let b = 0x3c000000; out.length < count && b < 0x40c00000; b += 7) {
    u[0] = b;
    const y = EXACT[name](f[0]!);
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

for (const name of ["erf", "tanh"] as const) {
  test(`${name} f32x4: specials and ends of ranges equal the exact double rounded to float32`, () =>
    assertSame(
      name,
      Float32Array.from([
        NaN,
        Infinity,
        -Infinity,
        0,
        -0,
        1e-45,
        -1e-45,
        1.1754944e-38,
        2 ** -28,
        6,
        -6,
        5.9999995,
        9,
        9.1,
        20,
        22,
        1 / 64,
        3 / 64,
        0.17,
        0.35,
        1e-8,
      ]),
    ));
  test(`${name} f32x4: every 211th float32 in [-12, 12] equals the exact double rounded to float32`, () => assertSame(name, float32Grid(12, 211)));
  test(`${name} f32x4: random float32s of every exponent equal the exact double rounded to float32`, () => assertSame(name, randomFloat32(400_000, 97)));
  test(`${name} f32x4: float32s whose value lies next to a rounding boundary equal the exact path's`, () => {
    const near = nearBoundaries(name, 2000);
    assert.ok(near.length >= 1000, `only ${near.length} arguments near a boundary found`);
    assertSame(name, near);
  });
}
