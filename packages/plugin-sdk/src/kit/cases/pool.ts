import { window2d, type Attrs } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, cycled, edgeValues, random } from "./values.ts";

interface PoolGeometry {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly attrs: Attrs;
}

const GEOMETRIES: readonly PoolGeometry[] = [
  { name: "2x2 stride 2 [1, 2, 4, 4]", x: [1, 2, 4, 4], attrs: { kernel: [2, 2], strides: [2, 2] } },
  { name: "3x3 stride 1 pads 1 [2, 3, 5, 5]", x: [2, 3, 5, 5], attrs: { kernel: [3, 3], pads: [1, 1, 1, 1] } },
  { name: "ceilMode 3x3 stride 2 [1, 1, 6, 6]", x: [1, 1, 6, 6], attrs: { kernel: [3, 3], strides: [2, 2], ceilMode: true } },
  { name: "dilation 2 [1, 2, 7, 7]", x: [1, 2, 7, 7], attrs: { kernel: [2, 2], dilations: [2, 2] } },
  { name: "asymmetric pads [1, 0, 0, 1] [1, 1, 4, 5]", x: [1, 1, 4, 5], attrs: { kernel: [2, 3], pads: [1, 0, 0, 1] } },
  { name: "size-1 [1, 1, 1, 1]", x: [1, 1, 1, 1], attrs: { kernel: [1, 1] } },
  { name: "empty batch [0, 2, 4, 4]", x: [0, 2, 4, 4], attrs: { kernel: [2, 2], strides: [2, 2] } },
  { name: "large [4, 16, 32, 32]", x: [4, 16, 32, 32], attrs: { kernel: [2, 2], strides: [2, 2] } },
];

/** Pads plus ceil mode: the windows where counting the padding changes the average. */
const AVG_ONLY: readonly PoolGeometry[] = [
  { name: "countIncludePad, pads 1 [1, 2, 4, 4]", x: [1, 2, 4, 4], attrs: { kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: true } },
  {
    name: "countIncludePad, ceilMode [1, 1, 5, 5]",
    x: [1, 1, 5, 5],
    attrs: { kernel: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: true },
  },
];

function geometries(op: string): readonly PoolGeometry[] {
  return op.startsWith("avgPool2d") ? [...GEOMETRIES.filter((g) => !("dilations" in g.attrs)), ...AVG_ONLY] : GEOMETRIES;
}

function outputShape(op: string, g: PoolGeometry): number[] {
  const [kh, kw] = g.attrs.kernel as number[];
  const win = window2d(op, g.x[2], g.x[3], kh!, kw!, g.attrs);
  return [g.x[0], g.x[1], win.oh, win.ow];
}

/** maxPool2d / avgPool2d forward, with NaN and ±Inf in a window. */
export function poolCases({ op, dtype }: CaseContext): ConformanceCase[] {
  const cases: ConformanceCase[] = geometries(op.name).map((g, i) => ({
    name: g.name,
    inputs: [random(400 + i, dtype, g.x)],
    attrs: g.attrs,
    accumulation: op.name === "avgPool2d" ? 3 : undefined,
  }));
  const edges = cycled(edgeValues(dtype), 8);
  cases.push({
    name: "edge values in 2x2 windows [1, 1, 2, 8]",
    inputs: [contiguous(dtype, [1, 1, 2, 8], [...edges, ...edges.reverse()])],
    attrs: { kernel: [2, 2], strides: [2, 2] },
  });
  return cases;
}

/** maxPool2dGrad (inputs x, gradOut) and avgPool2dGrad (input gradOut, attrs.inputShape). */
export function poolGradCases({ op, dtype }: CaseContext): ConformanceCase[] {
  const forward = op.name === "maxPool2dGrad" ? "maxPool2d" : "avgPool2d";
  return geometries(forward).map((g, i) => {
    const grad = random(440 + i, dtype, outputShape(forward, g));
    const inputs = op.name === "maxPool2dGrad" ? [random(420 + i, dtype, g.x), grad] : [grad];
    const attrs = op.name === "maxPool2dGrad" ? g.attrs : { ...g.attrs, inputShape: g.x };
    return { name: g.name, inputs, attrs, accumulation: 9 };
  });
}
