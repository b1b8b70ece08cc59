import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError } from "@polychip/hal";
import { zlibStored } from "../../testing/images.ts";
import { inflate, zlibInflate } from "./inflate.ts";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const text = (n: number) =>
  new TextEncoder().encode(Array.from({ length: n }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog ${(i * i) % 97} times\n`).join(""));

test("stored blocks, one and several (over 65,535 bytes), give back the bytes", () => {
  const small = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
  assert.deepEqual(zlibInflate(zlibStored(small), 300), small);
  const large = Uint8Array.from({ length: 70000 }, (_, i) => (i * 13 + (i >> 8)) % 256);
  assert.deepEqual(zlibInflate(zlibStored(large), 70000), large);
});

test("a fixed-Huffman block (Python's zlib, Z_FIXED) decodes", () => {
  assert.equal(new TextDecoder().decode(zlibInflate(b64("eAHLSM3JyVfIQJA6CgF+7ooAZZ0Hzw=="), 100)), "hello hello hello, PNG!");
});

test("a dynamic-Huffman block with back-references (Python's zlib level 9) decodes to the 2,463-byte text", () => {
  const compressed = b64(
    "eNqV1VlOwzAURuF3VnGXUN8bOza7YQg0bdpAB6bVI5Aq+X88z9FRPHy2l/k42ebeLtvJ3q/z094eT+vn0V7WL9tdD29nWz+m0//n5eHn257XV9vYZT5M57vlr02sTX3rrB36Nljb+naAYy59nFnsuY8Li0P+PMLlkjlXFhdZ7MbiKrucIK+QGPpyGXeiwkapobHRpYbKNIbKQlccMiv6b+isifAEoYVuN5Q2yl3kUFqSeTuklmXkDqk1OdoOqQ3C3CG1prcwtDbovKG1piOH1rLuN7RWJYbUijAPSM3lZglIrcrIA1LL+nBCai6HJCC1Ko9QQGpFoAZ9PXXHILWk/6bU5HgHtXarfwEdhFJL",
  );
  assert.equal((compressed[2]! >> 1) & 3, 2, "the fixture is a dynamic block");
  assert.deepEqual(zlibInflate(compressed, 4000), text(40));
});

test("truncated, corrupt and oversized streams are refused with a FormatError", () => {
  const good = zlibStored(Uint8Array.from({ length: 100 }, (_, i) => i));
  assert.throws(
    () => zlibInflate(good.subarray(0, 50), 100),
    (e) => e instanceof FormatError && /truncated deflate stream/.test(e.message),
  );
  assert.throws(() => zlibInflate(Uint8Array.from([0x12, 0x34, 0, 0]), 10), /not a zlib deflate stream/);
  assert.throws(() => zlibInflate(good, 99), /more than the 99 bytes expected/);
  assert.throws(() => inflate(Uint8Array.from([0x07]), 10), /block type 3/);
  const badLength = good.slice();
  badLength[5] ^= 1;
  assert.throws(() => zlibInflate(badLength, 100), /stored block length check/);
});
