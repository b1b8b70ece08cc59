import assert from "node:assert/strict";
import { test } from "node:test";
import { ModuleBuilder, sleb32, uleb } from "./encoder.ts";
import { defineFunction, i32Params } from "./define.ts";
import { f32x4, forRange, get, i32, inc, set, v128 } from "./instructions.ts";

test("LEB128: unsigned and signed 32-bit encodings", () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(127), [127]);
  assert.deepEqual(uleb(128), [0x80, 1]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb32(-1), [0x7f]);
  assert.deepEqual(sleb32(63), [63]);
  assert.deepEqual(sleb32(64), [0xc0, 0]);
  assert.deepEqual(sleb32(-123456), [0xc0, 0xbb, 0x78]);
  assert.deepEqual(sleb32(0x3f800000), [0x80, 0x80, 0x80, 0xfc, 0x03]);
  assert.throws(() => uleb(-1), RangeError);
});

test("an emitted module validates, imports its memory and runs scalar loops and SIMD", () => {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 2, shared: false });
  // sum(n) = 0 + 1 + ... + (n - 1)
  defineFunction(mod, "sum", { params: i32Params("n"), result: "i32" }, (p, fn) => {
    const i = fn.local("i32");
    const acc = fn.local("i32");
    return [set(acc, i32.const(0)), forRange(i, i32.const(0), get(p.n), 1, inc(acc, get(i))), get(acc)];
  });
  // add4(a, b, out): four float32 sums with one SIMD add
  defineFunction(mod, "add4", { params: i32Params("a", "b", "out") }, (p) => v128.store(get(p.out), f32x4.add(v128.load(get(p.a)), v128.load(get(p.b)))));
  const bytes = mod.encode();
  assert.ok(WebAssembly.validate(bytes));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
  assert.equal(exports.sum!(10), 45);
  assert.equal(exports.sum!(0), 0);
  const f = new Float32Array(memory.buffer);
  f.set([1, 2, 3, 4], 0);
  f.set([10, 20, 30, 0.5], 4);
  exports.add4!(0, 16, 32);
  assert.deepEqual([...f.subarray(8, 12)], [11, 22, 33, 4.5]);
});

test("a function declared twice is refused", () => {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  mod.func("f", [], [], () => []);
  assert.throws(() => mod.func("f", [], [], () => []), /twice/);
});

test("a data segment is written into the imported memory at instantiation; a repeat of it is one segment", () => {
  const mod = new ModuleBuilder({ module: "env", name: "memory", initialPages: 1, maximumPages: 1, shared: false });
  defineFunction(mod, "read", { params: i32Params("at"), result: "i32" }, (p) => i32.load(get(p.at)));
  mod.data(200, new Uint8Array([1, 2, 3, 4]));
  mod.data(200, new Uint8Array([1, 2, 3, 4]));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as Record<string, (a: number) => number>;
  assert.deepEqual([...new Uint8Array(memory.buffer, 199, 6)], [0, 1, 2, 3, 4, 0]);
  assert.equal(exports.read!(200), 0x04030201);
  assert.throws(() => mod.data(200, new Uint8Array([1, 2, 3, 5])), /two different data segments at address 200/);
});
