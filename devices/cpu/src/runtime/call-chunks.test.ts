import assert from "node:assert/strict";
import { test } from "node:test";
import { callChunks } from "./call-chunks.ts";

test("callChunks passes every argument count, in order, followed by the chunk range and the scratch address", () => {
  for (let n = 0; n <= 22; n++) {
    const args = Array.from({ length: n }, (_, i) => 100 + i);
    let seen: number[] = [];
    callChunks((...got: number[]) => (seen = got), args, 3, 7, 4096);
    assert.deepEqual(seen, [...args, 3, 7, 4096], `${n} arguments`);
  }
});
