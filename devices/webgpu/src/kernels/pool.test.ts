import { test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { matchesCpu, t, values } from "../testing/harness.ts";

const CASES: { name: string; attrs: Attrs }[] = [
  { name: "2x2 stride 2", attrs: { kernel: [2, 2], strides: [2, 2] } },
  { name: "3x3 stride 2 padded (overlapping windows)", attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: "3x2 ceilMode with asymmetric pads", attrs: { kernel: [3, 2], strides: [2, 3], pads: [0, 1, 1, 0], ceilMode: true } },
  { name: "dilated 2x2", attrs: { kernel: [2, 2], dilations: [2, 1] } },
];
const X_SHAPE = [2, 3, 7, 9];

for (const c of CASES) {
  // Integer-valued inputs make ties, which must go to the first max of each window.
  const x = t(values(2 * 3 * 7 * 9, 0, 4, 1).map(Math.floor), X_SHAPE);

  test(`maxPool2d and maxPool2dGrad ${c.name}`, async () => {
    const { runOp } = await import("@polychip/device-cpu");
    await matchesCpu("maxPool2d", [x], c.attrs);
    const y = runOp("maxPool2d", [x], c.attrs)[0]!;
    const g = t(values(y.values.length, -1, 1, 2), y.shape);
    await matchesCpu("maxPool2dGrad", [x, g], c.attrs, { rtol: 1e-5, atol: 1e-6 });
  });

  for (const countIncludePad of [false, true]) {
    test(`avgPool2d and avgPool2dGrad ${c.name}, countIncludePad ${countIncludePad}`, async () => {
      const { runOp } = await import("@polychip/device-cpu");
      const attrs = { ...c.attrs, countIncludePad };
      await matchesCpu("avgPool2d", [x], attrs, { rtol: 1e-5 });
      const y = runOp("avgPool2d", [x], attrs)[0]!;
      const g = t(values(y.values.length, -1, 1, 3), y.shape);
      await matchesCpu("avgPool2dGrad", [g], { ...attrs, inputShape: X_SHAPE }, { rtol: 1e-5, atol: 1e-6 });
    });
  }
}

test("maxPool2d propagates NaN and a window wholly in padding gives -Inf", async () => {
  await matchesCpu("maxPool2d", [t([1, NaN, 3, 4], [1, 1, 2, 2])], { kernel: [2, 2] });
  await matchesCpu("maxPool2d", [t([1, 2, 3, 4], [1, 1, 2, 2])], { kernel: [1, 1], pads: [1, 1, 0, 0] });
});
