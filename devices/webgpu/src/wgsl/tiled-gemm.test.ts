import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseGemmTile } from "./tiled-gemm.ts";

test("a batch-1 convolution's 64 x 3136 product gets the 32 tile: 64-tiles would be 49 workgroups", () => {
  assert.equal(chooseGemmTile(64, 3136, 1).name, "32");
});

test("a 2048 x 2048 product gets the 128 tile; a middle-sized one keeps the 64 tile", () => {
  assert.equal(chooseGemmTile(2048, 2048, 1).name, "128");
  assert.equal(chooseGemmTile(1024, 1024, 1).name, "64");
  assert.equal(chooseGemmTile(512, 512, 4).name, "64");
});

test("batches count towards the grid", () => {
  assert.equal(chooseGemmTile(64, 64, 64).name, "32");
  assert.equal(chooseGemmTile(256, 256, 64).name, "128");
});

test("a software adapter keeps the 64 tile whatever the size", () => {
  assert.equal(chooseGemmTile(64, 3136, 1, true).name, "64");
  assert.equal(chooseGemmTile(2048, 2048, 1, true).name, "64");
});

test("a 64-channel convolution over a large batch keeps the 64 tile: a 128 tile would waste half its rows", () => {
  assert.equal(chooseGemmTile(64, 32 * 56 * 56, 1).name, "64");
  assert.equal(chooseGemmTile(256, 32 * 56 * 56, 1).name, "128");
});
