/**
 * Example GEMM epilogues (bias, activations, residual add, scale) over conv and matmul geometries,
 * shared by every device's epilogue tests: each case is one conv2dEpilogue / matmulEpilogue call.
 */
import type { Attrs } from "@polychip/hal";
import { t, type HostInput } from "./testing.ts";

type Step = { op: string; args: number[]; value?: number };
const c = (value: number): Step => ({ op: "const", args: [], value });

/** Programs over value 0 (the product) and, where named, value 1 (an extra input); each with its output value indices. */
export const EPILOGUE_PROGRAMS: Readonly<Record<string, { steps: Step[]; outputs: number[]; extra?: "bias" | "residual" }>> = {
  bias: { steps: [{ op: "add", args: [0, 1] }], outputs: [2], extra: "bias" },
  relu: { steps: [{ op: "relu", args: [0] }], outputs: [1] },
  "bias + relu": {
    steps: [
      { op: "add", args: [0, 1] },
      { op: "relu", args: [2] },
    ],
    outputs: [3],
    extra: "bias",
  },
  // 0.5 x (1 + erf(x / sqrt 2))
  gelu: {
    steps: [
      c(Math.SQRT1_2),
      { op: "mul", args: [0, 1] },
      { op: "erf", args: [2] },
      c(1),
      { op: "add", args: [3, 4] },
      { op: "mul", args: [0, 5] },
      c(0.5),
      { op: "mul", args: [6, 7] },
    ],
    outputs: [8],
  },
  // x * min(max(x + 3, 0), 6) / 6
  hardswish: {
    steps: [
      c(3),
      { op: "add", args: [0, 1] },
      c(0),
      { op: "maximum", args: [2, 3] },
      c(6),
      { op: "minimum", args: [4, 5] },
      { op: "mul", args: [0, 6] },
      { op: "div", args: [7, 5] },
    ],
    outputs: [8],
  },
  "residual add + relu": {
    steps: [
      { op: "add", args: [0, 1] },
      { op: "relu", args: [2] },
    ],
    outputs: [3],
    extra: "residual",
  },
  scale: { steps: [c(0.125), { op: "mul", args: [0, 1] }], outputs: [2] },
  // Training keeps the pre-activation for the backward pass: the product itself is an output too.
  "relu keeping the product": { steps: [{ op: "relu", args: [0] }], outputs: [0, 1] },
};

export interface EpilogueCase {
  readonly name: string;
  readonly op: "conv2dEpilogue" | "matmulEpilogue" | "conv2dGradInputEpilogue";
  readonly inputs: HostInput[];
  readonly attrs: Attrs;
}

function numbers(n: number, seed: number): number[] {
  let s = seed * 7919 + 17;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.fround((s / 2147483648) * 2 - 1);
  });
}

const tensor = (shape: number[], seed: number) =>
  t(
    numbers(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

const CONVS: { name: string; x: number[]; w: number[]; attrs: Attrs; convBias: boolean }[] = [
  { name: "3x3 same padding with its own bias", x: [2, 3, 6, 5], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] }, convBias: true },
  { name: "stride 2, asymmetric pads", x: [1, 2, 9, 8], w: [5, 2, 3, 2], attrs: { strides: [2, 2], pads: [0, 1, 2, 0] }, convBias: false },
  { name: "groups 2", x: [2, 4, 5, 5], w: [6, 2, 3, 3], attrs: { groups: 2, pads: [1, 1, 1, 1] }, convBias: true },
];

const MATMULS: { name: string; a: number[]; b: number[]; attrs: Attrs }[] = [
  { name: "2-D", a: [5, 7], b: [7, 6], attrs: {} },
  { name: "batched", a: [3, 4, 5], b: [3, 5, 2], attrs: {} },
  { name: "transposed A and B", a: [2, 7, 5], b: [2, 3, 7], attrs: { transposeA: true, transposeB: true } },
];

/** Every program on every geometry: a bias is [OC,1,1] on a conv ([C,1,1] on its input gradient) and [N] on a matmul, a residual the product's shape. */
export function epilogueCases(): EpilogueCase[] {
  const cases: EpilogueCase[] = [];
  let seed = 1;
  for (const [program, p] of Object.entries(EPILOGUE_PROGRAMS)) {
    const attrs = { program: JSON.stringify(p.steps), outputs: p.outputs };
    for (const g of CONVS) {
      const oc = g.w[0]!;
      const base = [tensor(g.x, seed++), tensor(g.w, seed++), ...(g.convBias ? [tensor([oc], seed++)] : [])];
      const [n, , h, w] = g.x as [number, number, number, number];
      const out = outSize(h, w, g.w, g.attrs);
      const extra = p.extra === "bias" ? [tensor([oc, 1, 1], seed++)] : p.extra === "residual" ? [tensor([n, oc, ...out], seed++)] : [];
      cases.push({
        name: `conv ${g.name}: ${program}`,
        op: "conv2dEpilogue",
        inputs: [...base, ...extra],
        attrs: { ...g.attrs, ...attrs, baseInputs: base.length },
      });
    }
    for (const g of CONVS) {
      // The same geometry run backwards (a transposed convolution): gradOut [N, OC, OH, OW] -> [N, C, H, W].
      const [n, c, h, w] = g.x as [number, number, number, number];
      const gradOut = tensor([n, g.w[0]!, ...outSize(h, w, g.w, g.attrs)], seed++);
      const extra = p.extra === "bias" ? [tensor([c, 1, 1], seed++)] : p.extra === "residual" ? [tensor(g.x, seed++)] : [];
      cases.push({
        name: `conv input gradient ${g.name}: ${program}`,
        op: "conv2dGradInputEpilogue",
        inputs: [gradOut, tensor(g.w, seed++), ...extra],
        attrs: { ...g.attrs, inputShape: g.x, ...attrs, baseInputs: 2 },
      });
    }
    for (const g of MATMULS) {
      const r = g.a.length;
      const m = g.a[g.attrs.transposeA ? r - 1 : r - 2]!;
      const n = g.b[g.attrs.transposeB ? r - 2 : r - 1]!;
      const extra = p.extra === "bias" ? [tensor([n], seed++)] : p.extra === "residual" ? [tensor([...g.a.slice(0, r - 2), m, n], seed++)] : [];
      cases.push({
        name: `matmul ${g.name}: ${program}`,
        op: "matmulEpilogue",
        inputs: [tensor(g.a, seed++), tensor(g.b, seed++), ...extra],
        attrs: { ...g.attrs, ...attrs, baseInputs: 2 },
      });
    }
  }
  return cases;
}

function outSize(h: number, w: number, weight: number[], attrs: Attrs): [number, number] {
  const [sh, sw] = (attrs.strides as number[] | undefined) ?? [1, 1];
  const [pt, pl, pb, pr] = (attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  return [Math.floor((h + pt! + pb! - weight[2]!) / sh!) + 1, Math.floor((w + pl! + pr! - weight[3]!) / sw!) + 1];
}
