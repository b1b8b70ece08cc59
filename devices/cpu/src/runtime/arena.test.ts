import assert from "node:assert/strict";
import { test } from "node:test";
import { Arena } from "./arena.ts";

const MiB = 2 ** 20;

test("blocks are 64-byte aligned, fresh ones are clean and a freed one is reused, marked dirty", () => {
  const arena = new Arena({ shared: false, initialBytes: MiB });
  const a = arena.allocBlock(10)!;
  const b = arena.allocBlock(100)!;
  assert.equal(a.offset % 64, 0);
  assert.equal(b.offset % 64, 0);
  assert.ok(b.offset >= a.offset + 64);
  assert.equal(a.dirty, false);
  arena.free(a.offset, 10);
  const c = arena.allocBlock(64)!; // same block size as a request of 10
  assert.equal(c.offset, a.offset);
  assert.equal(c.dirty, true);
});

test("freeing the last block gives its space back to the bump pointer", () => {
  const arena = new Arena({ shared: false, initialBytes: MiB });
  arena.alloc(64);
  const top = arena.reservedBytes;
  const last = arena.alloc(4096)!;
  arena.free(last, 4096);
  assert.equal(arena.reservedBytes, top);
});

test("the memory grows on demand and refuses past its maximum", () => {
  const arena = new Arena({ shared: false, initialBytes: 64 * 1024, maximumBytes: 4 * MiB });
  const generation = arena.generation;
  const big = arena.alloc(2 * MiB);
  assert.notEqual(big, undefined);
  assert.ok(arena.memory.buffer.byteLength >= 2 * MiB);
  assert.ok(arena.generation > generation, "an unshared memory's buffer is replaced when it grows");
  assert.equal(arena.alloc(3 * MiB), undefined);
});

test("when the memory is full, neighbouring free blocks merge to serve a larger request", () => {
  const arena = new Arena({ shared: false, initialBytes: MiB, maximumBytes: MiB });
  const blocks = Array.from({ length: 4 }, () => arena.alloc(200 * 1024)!);
  assert.equal(arena.alloc(400 * 1024), undefined);
  arena.free(blocks[1]!, 200 * 1024);
  arena.free(blocks[2]!, 200 * 1024);
  assert.equal(arena.alloc(400 * 1024), blocks[1]);
});

test("a shared arena lives in a SharedArrayBuffer", () => {
  const arena = new Arena({ shared: true, initialBytes: MiB });
  assert.ok(arena.memory.buffer instanceof SharedArrayBuffer);
});

test("every growth is counted, shared or not, so views over the whole memory know they are short", () => {
  for (const shared of [false, true]) {
    const arena = new Arena({ shared, initialBytes: 64 * 1024, maximumBytes: 8 * MiB });
    const growths = arena.growths;
    arena.alloc(32 * 1024);
    assert.equal(arena.growths, growths, `${shared ? "shared" : "unshared"}: no growth within the memory`);
    arena.alloc(2 * MiB);
    assert.equal(arena.growths, growths + 1, `${shared ? "shared" : "unshared"}: one growth`);
  }
});
