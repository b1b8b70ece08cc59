import { window2d, type Attrs } from "@polychip/hal";
import type { CaseContext, ConformanceCase } from "./types.ts";
import { contiguous, edgeValues, random } from "./values.ts";

interface ConvGeometry {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly w: [number, number, number, number];
  readonly attrs: Attrs;
  readonly bias?: boolean;
}

/** Geometries every conv kernel must get right: padding, strides, dilation, groups, 1×1, empty batch, a large one. */
const GEOMETRIES: readonly ConvGeometry[] = [
  { name: "3x3 [1, 2, 5, 5] * [3, 2, 3, 3]", x: [1, 2, 5, 5], w: [3, 2, 3, 3], attrs: {} },
  { name: "with bias", x: [2, 2, 4, 4], w: [3, 2, 3, 3], attrs: {}, bias: true },
  { name: "stride 2, pads 1", x: [1, 3, 7, 6], w: [4, 3, 3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, bias: true },
  { name: "asymmetric pads [0, 1, 2, 0]", x: [1, 2, 5, 4], w: [2, 2, 3, 2], attrs: { pads: [0, 1, 2, 0] } },
  { name: "dilation 2", x: [1, 2, 7, 7], w: [2, 2, 3, 3], attrs: { dilations: [2, 2] } },
  { name: "groups 2", x: [1, 4, 5, 5], w: [6, 2, 3, 3], attrs: { groups: 2 }, bias: true },
  { name: "depthwise (groups = C)", x: [2, 3, 5, 5], w: [3, 1, 3, 3], attrs: { groups: 3, pads: [1, 1, 1, 1] } },
  { name: "1x1 [1, 5, 3, 3] * [4, 5, 1, 1]", x: [1, 5, 3, 3], w: [4, 5, 1, 1], attrs: {} },
  { name: "size-1 [1, 1, 1, 1] * [1, 1, 1, 1]", x: [1, 1, 1, 1], w: [1, 1, 1, 1], attrs: {} },
  { name: "empty batch [0, 2, 4, 4]", x: [0, 2, 4, 4], w: [3, 2, 3, 3], attrs: {} },
  { name: "large [2, 8, 16, 16] * [16, 8, 3, 3]", x: [2, 8, 16, 16], w: [16, 8, 3, 3], attrs: { pads: [1, 1, 1, 1] }, bias: true },
];

function outputShape(g: ConvGeometry): [number, number, number, number] {
  const win = window2d("conv2d", g.x[2], g.x[3], g.w[2], g.w[3], g.attrs);
  return [g.x[0], g.w[0], win.oh, win.ow];
}

/** Terms per output element: C/groups·KH·KW products of values in [-1, 1]. */
const terms = (g: ConvGeometry) => g.w[1] * g.w[2] * g.w[3];

export function conv2dCases({ dtype }: CaseContext): ConformanceCase[] {
  const cases: ConformanceCase[] = GEOMETRIES.map((g, i) => ({
    name: g.name,
    inputs: [random(200 + i, dtype, g.x, [-1, 1]), random(220 + i, dtype, g.w, [-1, 1]), ...(g.bias ? [random(240 + i, dtype, [g.w[0]], [-1, 1])] : [])],
    attrs: g.attrs,
    accumulation: terms(g),
  }));
  const edges = edgeValues(dtype);
  cases.push({
    name: `edge values in the input [1, 1, 1, ${edges.length}] * [2, 1, 1, 1]`,
    inputs: [contiguous(dtype, [1, 1, 1, edges.length], edges), contiguous(dtype, [2, 1, 1, 1], [1, -0.5])],
    attrs: {},
  });
  return cases;
}

export function conv2dGradInputCases({ dtype }: CaseContext): ConformanceCase[] {
  return GEOMETRIES.map((g, i) => ({
    name: g.name,
    inputs: [random(260 + i, dtype, outputShape(g), [-1, 1]), random(280 + i, dtype, g.w, [-1, 1])],
    attrs: { ...g.attrs, inputShape: g.x },
    accumulation: g.w[0] * g.w[2] * g.w[3],
  }));
}

export function conv2dGradWeightCases({ dtype }: CaseContext): ConformanceCase[] {
  return GEOMETRIES.map((g, i) => {
    const out = outputShape(g);
    return {
      name: g.name,
      inputs: [random(300 + i, dtype, g.x, [-1, 1]), random(320 + i, dtype, out, [-1, 1])],
      attrs: { ...g.attrs, weightShape: g.w },
      accumulation: out[0] * out[2] * out[3],
    };
  });
}
