import assert from "node:assert/strict";
import { test } from "node:test";
import { ParamBlock } from "./params.ts";

test("a parameter block packs u32, i32 and f32 words and pads to whole vec4s", () => {
  const p = new ParamBlock().u32("n", 7).i32("off", -2).f32("value", 1.5).u32("shape", [3, 4]);
  const words = p.data();
  assert.equal(words.length, 8);
  assert.deepEqual([...words.slice(0, 2)], [7, 0xfffffffe]);
  assert.equal(new Float32Array(words.buffer)[2], 1.5);
  assert.deepEqual([...words.slice(3, 6)], [3, 4, 0]);
});

test("the signature names the layout, which the WGSL accessors follow", () => {
  const p = new ParamBlock().u32("n", 7).i32("st", [1, 2, 3]);
  assert.equal(p.signature, "n:u32,st:i32[3]");
  assert.match(p.wgsl(), /fn prm_st\(i: u32\) -> i32 \{ return bitcast<i32>\(P\(1u \+ i\)\); \}/);
  assert.match(p.wgsl(), /array<vec4<u32>, 1>/);
});

test("a constant is a literal in the WGSL, takes no word, and its value is part of the signature", () => {
  const p = new ParamBlock().u32("n", 7).constU32("kw", 3).constI32("pad", -1);
  assert.equal(p.data().length, 4);
  assert.equal(p.signature, "n:u32,kw=3u,pad=-1i");
  assert.match(p.wgsl(), /fn prm_kw\(\) -> u32 \{ return 3u; \}/);
  assert.match(p.wgsl(), /fn prm_pad\(\) -> i32 \{ return -1i; \}/);
  assert.notEqual(new ParamBlock().constU32("kw", 5).signature, new ParamBlock().constU32("kw", 3).signature);
});
