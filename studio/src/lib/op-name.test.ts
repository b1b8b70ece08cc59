import { test } from "node:test";
import assert from "node:assert/strict";
import { shortOpName } from "./op-name.ts";

test("a webgpu shader key reads as its op", () => {
  assert.equal(shortOpName("map|ew:mul:f32:cc:r1|float32,float32->float32|contig|off0:i32,off1:i32"), "mul");
  assert.equal(shortOpName("matmul:float32->float32:b2|m:u32,n:u32"), "matmul");
  assert.equal(shortOpName("conv2d:float32:bias|n:u32"), "conv2d");
});

test("plain op names are kept", () => {
  assert.equal(shortOpName("conv2d"), "conv2d");
  assert.equal(shortOpName("read"), "read");
});

test("a fused kernel's pipeline key (its program as JSON) is named fused", () => {
  assert.equal(shortOpName('[{"op":"mul","args":[0,1]},{"op":"relu","args":[2]}]->[3]|float32|contig'), "fused");
  assert.equal(shortOpName(`fused|[{"op":"add","args":[0,1]}]->[2]|f32`), "fused");
});
