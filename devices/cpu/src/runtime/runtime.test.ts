import assert from "node:assert/strict";
import { test } from "node:test";
import { WasmRuntime } from "./runtime.ts";

test("the runtime's typed arrays over the memory cover it again after the arena grows it", () => {
  const rt = WasmRuntime.get();
  assert.ok(rt, WasmRuntime.unavailableReason);
  const before = rt.arena.memory.buffer.byteLength;
  assert.equal(rt.i32.length * 4, before);
  const bytes = before + 4 * 2 ** 20;
  const block = rt.arena.alloc(bytes)!;
  try {
    const after = rt.arena.memory.buffer.byteLength;
    assert.ok(after > before, "the memory grew");
    assert.equal(rt.i32.length * 4, after);
    assert.equal(rt.f32.length * 4, after);
    rt.i32[(block + bytes - 4) / 4] = 7; // the last word of the new block is reachable
    assert.equal(new Int32Array(rt.arena.memory.buffer, block + bytes - 4, 1)[0], 7);
  } finally {
    rt.arena.free(block, bytes);
  }
});
