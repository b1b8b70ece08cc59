import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeShareHash, encodeShareHash } from "./share.ts";

test("code survives a round trip through the URL hash", async () => {
  const code = 'import { nn } from "polychip";\n// ünïcödé and emoji 🚀\n'.repeat(20);
  const hash = await encodeShareHash(code);
  assert.match(hash, /^#code=[A-Za-z0-9_-]+$/);
  assert.ok(hash.length < code.length);
  assert.equal(await decodeShareHash(hash), code);
});

test("a damaged or foreign hash decodes to undefined", async () => {
  assert.equal(await decodeShareHash("#code=not-really-deflate"), undefined);
  assert.equal(await decodeShareHash("#other=1"), undefined);
});
