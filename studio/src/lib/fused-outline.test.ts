import { test } from "node:test";
import assert from "node:assert/strict";
import { outlineRects } from "./fused-outline.ts";

const pad = { top: 14, side: 6 };
const node = (x: number, y: number) => ({ x, y, w: 100, h: 40 });

test("a chain of members in one column gets one box around them all", () => {
  assert.deepEqual(outlineRects([node(0, 0), node(0, 80)], [node(0, 160), node(130, 40)], pad), [{ x: -6, y: -14, w: 112, h: 140 }]);
});

test("when another node sits inside the members' box, each member gets its own box", () => {
  const boxes = outlineRects([node(0, 0), node(130, 80)], [node(130, 0)], pad);
  assert.deepEqual(boxes, [
    { x: -6, y: -14, w: 112, h: 60 },
    { x: 124, y: 66, w: 112, h: 60 },
  ]);
  assert.deepEqual(outlineRects([], [], pad), []);
});
