import assert from "node:assert/strict";
import { test } from "node:test";
import { window2d } from "../window2d.ts";
import { windowIndices } from "./helpers.ts";

test("windowIndices lists the input position of every tap, tap-major, with the pad slot for padding", () => {
  // 2x3 input, 2x2 kernel, left pad 1: windows start at x = -1, 0, 1, 2 → ow = 4.
  const win = window2d("conv2d", 2, 3, 2, 2, { pads: [0, 1, 0, 0] });
  assert.deepEqual([win.oh, win.ow], [1, 3]);
  const pad = 6;
  assert.deepEqual(Array.from(windowIndices(win, 2, 3, "tap-major")), [
    pad,
    0,
    1, // tap (0,0)
    0,
    1,
    2, // tap (0,1)
    pad,
    3,
    4, // tap (1,0)
    3,
    4,
    5, // tap (1,1)
  ]);
});

test("windowIndices window-major is the transpose of tap-major", () => {
  const win = window2d("maxPool2d", 4, 4, 3, 2, { strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2] });
  const k = 6;
  const p = win.oh * win.ow;
  const tapMajor = windowIndices(win, 4, 4, "tap-major");
  const windowMajor = windowIndices(win, 4, 4, "window-major");
  for (let tap = 0; tap < k; tap++) {
    for (let out = 0; out < p; out++) assert.equal(windowMajor[out * k + tap], tapMajor[tap * p + out]);
  }
});

test("windowIndices honours strides and dilations", () => {
  // 1x5 row, kernel 1x2 dilated by 2, stride 2: windows read (0,2) and (2,4).
  const win = window2d("conv2d", 1, 5, 1, 2, { strides: [1, 2], dilations: [1, 2] });
  assert.deepEqual(Array.from(windowIndices(win, 1, 5, "window-major")), [0, 2, 2, 4]);
});

test("windowIndices sends taps of a ceilMode partial window past the input to the pad slot", () => {
  const win = window2d("maxPool2d", 1, 3, 1, 2, { strides: [1, 2], ceilMode: true });
  assert.deepEqual(Array.from(windowIndices(win, 1, 3, "window-major")), [0, 1, 2, 3]);
});
