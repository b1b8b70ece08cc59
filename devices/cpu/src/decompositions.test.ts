import assert from "node:assert/strict";
import { test } from "node:test";
import {
  COMPOSITES,
  RECURRENT_OPS,
  contiguousStrides,
  dtypeBytes,
  ELEMENTWISE_FAMILIES,
  getOp,
  isContiguous,
  KernelRegistry,
  randomUnit,
  roundToFloat16,
  sizeOf,
  type Attrs,
  type DecompositionContext,
  type DType,
  type Shape,
  type TensorMeta,
} from "@polychip/hal";
import { CpuDevice, cpuKernels, download, runOp, uploadView, type HostInput } from "./index.ts";
import { epilogueCases } from "./epilogue-examples.ts";
import type { CpuView } from "./views.ts";

/**
 * Proves that a device with only primitive kernels runs every composite: each HAL reference
 * decomposition runs on a CPU device whose registry holds the primitive kernels alone, and its
 * result is compared with the CPU device's native composite kernel.
 */

const primitivesOnly = new KernelRegistry();
primitivesOnly.registerAll(cpuKernels.filter((r) => getOp(r.op).kind === "primitive"));

/** What the engine does for a composite without a kernel, reduced to one device and no autograd. */
class PrimitiveContext implements DecompositionContext<CpuView> {
  readonly launched = new Set<string>();

  constructor(private readonly device: CpuDevice) {}

  meta(v: CpuView): TensorMeta {
    return { shape: v.shape, dtype: v.dtype };
  }

  call(op: string, inputs: readonly CpuView[], attrs: Attrs = {}): CpuView {
    const def = getOp(op);
    // A composite a decomposition calls (an epilogue's GEMM and program) runs its own decomposition, as on the engine.
    if (def.kind === "composite") return def.decompose!(this, inputs, attrs)[0]!;
    // A device without "strided-inputs" only sees contiguous inputs outside the elementwise families.
    const prepared = ELEMENTWISE_FAMILIES.includes(def.family) ? inputs : inputs.map((v) => this.contiguous(v));
    const [meta] = def.infer(prepared, attrs);
    const out = this.allocate(meta!.shape, meta!.dtype);
    const reg = primitivesOnly.find("cpu", op, prepared[0]?.dtype ?? meta!.dtype);
    if (!reg) throw new Error(`a primitives-only device has no kernel for ${op}: decompositions may call primitives only`);
    this.launched.add(op);
    this.device.launch(reg.kernel, { op, inputs: prepared, outputs: [out], attrs });
    return out;
  }

  constant(values: ArrayLike<number>, shape: Shape, dtype: DType): CpuView {
    assert.equal(values.length, sizeOf(shape), "constant: value count must fill the shape");
    return uploadView(this.device, { values, shape, dtype });
  }

  reshape(v: CpuView, shape: Shape): CpuView {
    assert.equal(sizeOf(shape), sizeOf(v.shape), "reshape must keep the element count");
    const base = this.contiguous(v);
    return { ...base, shape: [...shape], strides: contiguousStrides(shape) };
  }

  view(v: CpuView, shape: Shape, strides: readonly number[], offset: number): CpuView {
    assert.ok(isContiguous(v.shape, v.strides), "view: decompositions may only view contiguous values");
    return { ...v, shape: [...shape], strides: [...strides], offset: v.offset + offset };
  }

  copyInto(dst: CpuView, region: { shape: Shape; strides: readonly number[]; offset: number }, src: CpuView): void {
    assert.ok(isContiguous(dst.shape, dst.strides), "copyInto: the destination must be contiguous");
    const target: CpuView = { buffer: dst.buffer, dtype: dst.dtype, shape: region.shape, strides: region.strides, offset: dst.offset + region.offset };
    const reg = primitivesOnly.find("cpu", "copy", src.dtype)!;
    this.launched.add("copy");
    this.device.launch(reg.kernel, { op: "copy", inputs: [src], outputs: [target], attrs: {} });
  }

  private allocate(shape: Shape, dtype: DType): CpuView {
    const buffer = this.device.alloc(Math.max(sizeOf(shape) * dtypeBytes(dtype), 4));
    return { buffer, dtype, shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
  }

  private contiguous(v: CpuView): CpuView {
    return isContiguous(v.shape, v.strides) ? v : this.call("copy", [v]);
  }
}

interface Case {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly HostInput[];
  readonly attrs: Attrs;
}

/** Deterministic values in [-1, 1), rounded for float16 so both sides see the same input. */
function values(seed: number, n: number, dtype: DType = "float32"): number[] {
  return Array.from({ length: n }, (_, i) => {
    const v = 2 * randomUnit(seed, i) - 1;
    return dtype === "float16" ? roundToFloat16(v) : dtype === "float32" ? v : Math.floor(v * 50);
  });
}

function input(seed: number, shape: number[], dtype: DType = "float32"): HostInput {
  return { values: values(seed, sizeOf(shape), dtype), shape, dtype };
}

/** Small integers, so that pooling windows hold ties and the first max matters. */
function ties(seed: number, shape: number[]): HostInput {
  return { values: values(seed, sizeOf(shape)).map((v) => Math.floor(v * 2)), shape, dtype: "float32" };
}

/** An NCHW tensor stored NHWC and seen through strides: a non-contiguous decomposition input. */
function channelsLast(seed: number, [n, c, h, w]: [number, number, number, number]): HostInput {
  return { values: values(seed, n * c * h * w), shape: [n, c, h, w], dtype: "float32", strides: [h * w * c, 1, w * c, c] };
}

function window(op: string, x: [number, number, number, number], attrs: Attrs): [number, number, number, number] {
  const [meta] = getOp(op).infer([{ shape: x, dtype: "float32" }], attrs);
  return meta!.shape as [number, number, number, number];
}

function convOut(x: [number, number, number, number], w: [number, number, number, number], attrs: Attrs): [number, number, number, number] {
  const [meta] = getOp("conv2d").infer(
    [
      { shape: x, dtype: "float32" },
      { shape: w, dtype: "float32" },
    ],
    attrs,
  );
  return meta!.shape as [number, number, number, number];
}

const convGeometries: { name: string; x: [number, number, number, number]; w: [number, number, number, number]; attrs: Attrs }[] = [
  { name: "3x3, pads 1, batch 2", x: [2, 3, 5, 5], w: [4, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  {
    name: "groups 2, strides 2x1, dilations 2, asymmetric pads",
    x: [2, 4, 7, 6],
    w: [6, 2, 3, 2],
    attrs: { groups: 2, strides: [2, 1], dilations: [2, 1], pads: [1, 0, 2, 1] },
  },
  { name: "depthwise, stride 2, ceilMode", x: [1, 3, 6, 5], w: [6, 1, 2, 3], attrs: { groups: 3, strides: [2, 2], ceilMode: true, pads: [0, 1, 0, 0] } },
  { name: "1x1 kernel, stride 3", x: [3, 2, 4, 4], w: [5, 2, 1, 1], attrs: { strides: [3, 3] } },
];

const poolGeometries: { name: string; x: [number, number, number, number]; attrs: Attrs }[] = [
  { name: "2x2 stride 2", x: [2, 3, 4, 6], attrs: { kernel: [2, 2], strides: [2, 2] } },
  { name: "3x3 stride 2, pads 1, ceilMode", x: [1, 2, 6, 7], attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true } },
  { name: "overlapping 3x2, asymmetric pads, dilations", x: [2, 1, 7, 6], attrs: { kernel: [3, 2], strides: [1, 2], pads: [2, 0, 1, 1], dilations: [2, 1] } },
  { name: "windows made only of padding", x: [1, 2, 3, 3], attrs: { kernel: [1, 1], strides: [2, 2], pads: [1, 1, 1, 1] } },
];

const cases: Case[] = [];

for (const [i, g] of convGeometries.entries()) {
  const y = convOut(g.x, g.w, g.attrs);
  cases.push({ op: "conv2d", name: g.name, inputs: [input(i, g.x), input(100 + i, g.w), input(200 + i, [g.w[0]])], attrs: g.attrs });
  cases.push({ op: "conv2dGradInput", name: g.name, inputs: [input(300 + i, y), input(100 + i, g.w)], attrs: { ...g.attrs, inputShape: g.x } });
  cases.push({ op: "conv2dGradWeight", name: g.name, inputs: [input(i, g.x), input(300 + i, y)], attrs: { ...g.attrs, weightShape: g.w } });
}
cases.push(
  { op: "conv2d", name: "no bias, channels-last input view", inputs: [channelsLast(7, [2, 3, 4, 5]), input(8, [2, 3, 2, 2])], attrs: { pads: [0, 1, 1, 0] } },
  {
    op: "conv2d",
    name: "float16",
    inputs: [input(9, [1, 2, 5, 5], "float16"), input(10, [3, 2, 3, 3], "float16"), input(11, [3], "float16")],
    attrs: { pads: [1, 1, 1, 1] },
  },
  { op: "conv2dNhwc", name: "3x3 pads 1, bias", inputs: [input(13, [2, 5, 4, 3]), input(14, [4, 3, 3, 3]), input(15, [4])], attrs: { pads: [1, 1, 1, 1] } },
  {
    op: "conv2dNhwc",
    name: "depthwise stride 2",
    inputs: [input(16, [1, 6, 7, 8]), input(17, [8, 1, 3, 3])],
    attrs: { pads: [1, 1, 1, 1], strides: [2, 2], groups: 8 },
  },
  {
    op: "conv2dNhwcEpilogue",
    name: "1x1, bias add and relu",
    inputs: [input(18, [2, 3, 4, 8]), input(19, [6, 8, 1, 1]), input(20, [6])],
    attrs: {
      program: JSON.stringify([
        { op: "add", args: [0, 1] },
        { op: "relu", args: [2] },
      ]),
      outputs: [3],
      baseInputs: 2,
    },
  },
  {
    op: "conv2dGradWeight",
    name: "channels-last input view",
    inputs: [channelsLast(7, [2, 3, 4, 5]), input(12, [2, 2, 4, 5])],
    attrs: { pads: [0, 1, 1, 0], weightShape: [2, 3, 2, 2] },
  },
);

for (const [i, g] of poolGeometries.entries()) {
  const y = window("maxPool2d", g.x, g.attrs);
  cases.push({ op: "maxPool2d", name: g.name, inputs: [input(400 + i, g.x)], attrs: g.attrs });
  cases.push({ op: "maxPool2d", name: `${g.name}, ties`, inputs: [ties(410 + i, g.x)], attrs: g.attrs });
  cases.push({ op: "maxPool2dGrad", name: g.name, inputs: [input(400 + i, g.x), input(420 + i, y)], attrs: g.attrs });
  cases.push({ op: "maxPool2dGrad", name: `${g.name}, ties go to the first max`, inputs: [ties(410 + i, g.x), input(420 + i, y)], attrs: g.attrs });
  for (const countIncludePad of [false, true]) {
    const attrs = { ...g.attrs, countIncludePad };
    const name = `${g.name}, countIncludePad ${countIncludePad}`;
    cases.push({ op: "avgPool2d", name, inputs: [input(430 + i, g.x)], attrs });
    cases.push({ op: "avgPool2dGrad", name, inputs: [input(440 + i, y)], attrs: { ...attrs, inputShape: g.x } });
  }
}
{
  // -Infinity inputs beside padding (the first real tap must win over a padding tap) and NaN (propagates).
  const special = [-Infinity, -Infinity, 1, -Infinity, NaN, 2, 0, -Infinity, -Infinity];
  const attrs = { kernel: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0] };
  cases.push({ op: "maxPool2d", name: "-Infinity and NaN inputs", inputs: [{ values: special, shape: [1, 1, 3, 3] }], attrs });
  cases.push({ op: "maxPool2dGrad", name: "-Infinity and NaN inputs", inputs: [{ values: special, shape: [1, 1, 3, 3] }, input(450, [1, 1, 3, 3])], attrs });
  cases.push({
    op: "maxPool2d",
    name: "float16",
    inputs: [input(451, [1, 2, 5, 5], "float16")],
    attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  });
  cases.push({
    op: "avgPool2d",
    name: "float16",
    inputs: [input(452, [1, 2, 5, 5], "float16")],
    attrs: { kernel: [3, 3], pads: [1, 1, 1, 1], countIncludePad: true },
  });
}

const large = (seed: number, shape: number[]): HostInput => ({ values: values(seed, sizeOf(shape)).map((v) => v * 1000), shape, dtype: "float32" });
for (const op of ["softmax", "logSoftmax"]) {
  cases.push(
    { op, name: "last axis", inputs: [input(500, [3, 7])], attrs: {} },
    { op, name: "axis 1 of 3-D", inputs: [input(501, [2, 4, 3])], attrs: { axis: 1 } },
    { op, name: "axis 0, large values", inputs: [large(502, [5, 4])], attrs: { axis: 0 } },
    { op, name: "-Infinity entries", inputs: [{ values: [0, -Infinity, 1, -Infinity, 2, 3], shape: [2, 3] }], attrs: {} },
    { op, name: "transposed input view", inputs: [{ values: values(503, 12), shape: [4, 3], strides: [1, 4] }], attrs: {} },
    { op, name: "float16", inputs: [input(504, [3, 8], "float16")], attrs: {} },
  );
}

cases.push(
  { op: "softplus", name: "default beta", inputs: [input(700, [3, 5])], attrs: {} },
  { op: "softplus", name: "beta 2, values far beyond exp's range", inputs: [large(701, [4, 4])], attrs: { beta: 2 } },
  { op: "softplus", name: "float16", inputs: [input(702, [2, 6], "float16")], attrs: {} },
);

const fusedProgram = (steps: unknown[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });
cases.push(
  {
    op: "fused",
    name: "a GELU-like chain over a transposed input and a broadcast row",
    inputs: [{ values: values(710, 12), shape: [4, 3], strides: [1, 4] }, input(711, [3])],
    attrs: fusedProgram(
      [
        { op: "add", args: [0, 1] },
        { op: "const", args: [], value: 0.7071067811865476 },
        { op: "mul", args: [2, 3] },
        { op: "erf", args: [4] },
        { op: "mul", args: [2, 5] },
      ],
      [6, 2],
    ),
  },
  {
    op: "fused",
    name: "int32 with a compare, a where and a cast to float16",
    inputs: [input(712, [2, 5], "int32"), input(713, [1, 5], "int32")],
    attrs: fusedProgram(
      [
        { op: "less", args: [0, 1] },
        { op: "where", args: [2, 0, 1] },
        { op: "cast", args: [3], to: "float16" },
      ],
      [4, 2, 1],
    ),
  },
);
{
  // Ties, both infinities, signed zeros and NaN: the network must give the stable order with NaN largest.
  const special = [2, NaN, 1, 2, Infinity, -Infinity, NaN, 1, -0, 0, Infinity];
  const ties = (seed: number, shape: number[], dtype: DType): HostInput => ({
    values: values(seed, sizeOf(shape)).map((v) => Math.round(v * 3)),
    shape,
    dtype,
  });
  for (const descending of [false, true]) {
    const how = descending ? "descending" : "ascending";
    cases.push(
      { op: "argsort", name: `${how}, specials (not a power of two)`, inputs: [{ values: special, shape: [1, 11] }], attrs: { descending } },
      { op: "argsort", name: `${how}, axis 1 of 3-D with ties`, inputs: [ties(800, [2, 5, 3], "float32")], attrs: { axis: 1, descending } },
      {
        op: "argsort",
        name: `${how}, int8 at its extremes`,
        inputs: [{ values: [127, -128, 0, 127, -128, 5], shape: [6], dtype: "int8" }],
        attrs: { descending },
      },
      { op: "argsort", name: `${how}, uint8 with 255`, inputs: [{ values: [255, 0, 255, 7, 1], shape: [5], dtype: "uint8" }], attrs: { descending } },
      { op: "argsort", name: `${how}, bool`, inputs: [{ values: [1, 0, 1, 0, 0], shape: [5], dtype: "bool" }], attrs: { descending } },
    );
  }
  cases.push(
    { op: "argsort", name: "int32 rows of 16", inputs: [ties(801, [3, 16], "int32")], attrs: {} },
    { op: "argsort", name: "float16, axis 0", inputs: [input(802, [7, 2], "float16")], attrs: { axis: 0 } },
    { op: "argsort", name: "one element per row", inputs: [input(803, [4, 1])], attrs: { descending: true } },
    { op: "argsort", name: "transposed input view", inputs: [{ values: values(804, 12), shape: [4, 3], strides: [1, 4] }], attrs: {} },
  );
}

cases.push(
  { op: "layerNorm", name: "last axis with weight and bias", inputs: [input(600, [4, 6]), input(601, [6]), input(602, [6])], attrs: {} },
  {
    op: "layerNorm",
    name: "axis 1 over two dims, epsilon 1e-3",
    inputs: [input(603, [2, 3, 4]), input(604, [3, 4]), input(605, [3, 4])],
    attrs: { axis: 1, epsilon: 1e-3 },
  },
  { op: "layerNorm", name: "no weight or bias", inputs: [large(606, [3, 5])], attrs: { axis: -1 } },
  { op: "layerNorm", name: "weight only", inputs: [input(607, [2, 5]), input(608, [5])], attrs: {} },
  { op: "layerNorm", name: "float16", inputs: [input(609, [2, 8], "float16"), input(610, [8], "float16"), input(611, [8], "float16")], attrs: {} },
);

const positive = (seed: number, n: number): HostInput => ({ values: values(seed, n).map((v) => v + 1.5), shape: [n], dtype: "float32" });
cases.push(
  { op: "batchNorm", name: "NCHW", inputs: [input(700, [2, 3, 4, 4]), input(701, [3]), input(702, [3]), input(703, [3]), positive(704, 3)], attrs: {} },
  {
    op: "batchNorm",
    name: "NC, epsilon 0.1",
    inputs: [input(705, [5, 4]), input(706, [4]), input(707, [4]), input(708, [4]), positive(709, 4)],
    attrs: { epsilon: 0.1 },
  },
  {
    op: "batchNorm",
    name: "NCL with a zero variance",
    inputs: [input(710, [2, 2, 3]), input(711, [2]), input(712, [2]), input(713, [2]), { values: [0, 0.5], shape: [2] }],
    attrs: {},
  },
);

cases.push(
  { op: "batchNormTraining", name: "NCHW", inputs: [input(720, [3, 4, 5, 5]), input(721, [4]), input(722, [4])], attrs: {} },
  { op: "batchNormTraining", name: "NC, epsilon 0.1", inputs: [input(723, [6, 3]), input(724, [3]), input(725, [3])], attrs: { epsilon: 0.1 } },
  { op: "batchNormTrainingRelu", name: "NCHW", inputs: [input(736, [3, 4, 5, 5]), input(737, [4]), input(738, [4])], attrs: {} },
  {
    op: "batchNormTrainingGrad",
    name: "NCHW",
    inputs: [input(726, [3, 4, 5, 5]), input(727, [3, 4, 5, 5]), input(728, [4]), input(729, [4]), positive(730, 4)],
    attrs: {},
  },
  {
    op: "batchNormTrainingReluGrad",
    name: "NCHW, biases of both signs",
    inputs: [
      input(739, [3, 4, 5, 5]),
      input(740, [3, 4, 5, 5]),
      input(741, [4]),
      { values: [-0.5, 0.5, -0.1, 0.2], shape: [4] },
      input(742, [4]),
      positive(743, 4),
    ],
    attrs: {},
  },
  {
    op: "batchNormTrainingGrad",
    name: "NCL, epsilon 0.1",
    inputs: [input(731, [2, 3, 6]), input(732, [2, 3, 6]), input(733, [3]), input(734, [3]), positive(735, 3)],
    attrs: { epsilon: 0.1 },
  },
);

cases.push(
  { op: "pad", name: "constant with a value", inputs: [input(800, [2, 3])], attrs: { pads: [1, 0, 2, 3], value: 2.5 } },
  { op: "pad", name: "constant, negative pads crop", inputs: [input(801, [3, 4, 2])], attrs: { pads: [-1, 1, 0, 0, -2, 1] } },
  { op: "pad", name: "constant, int32", inputs: [input(802, [2, 2], "int32")], attrs: { pads: [1, 1, 1, 1], value: 7 } },
  { op: "pad", name: "constant, bool", inputs: [{ values: [1, 0, 0, 1], shape: [4], dtype: "bool" }], attrs: { pads: [2, 1], value: 1 } },
  { op: "pad", name: "constant, transposed input view", inputs: [{ values: values(803, 6), shape: [3, 2], strides: [1, 3] }], attrs: { pads: [1, 0, 0, 1] } },
  { op: "pad", name: "reflect", inputs: [input(804, [1, 3, 4])], attrs: { pads: [0, 2, 1, 0, 1, 3], mode: "reflect" } },
  { op: "pad", name: "reflect wider than the input", inputs: [input(805, [3])], attrs: { pads: [5, 4], mode: "reflect" } },
  { op: "pad", name: "edge with a crop", inputs: [input(806, [4, 3], "int32")], attrs: { pads: [2, -1, -1, 2], mode: "edge" } },
  { op: "pad", name: "nothing to pad", inputs: [input(807, [2, 2])], attrs: { pads: [0, 0, 0, 0], mode: "edge" } },
);

cases.push(
  { op: "concat", name: "axis 0", inputs: [input(900, [2, 3]), input(901, [1, 3]), input(902, [3, 3])], attrs: { axis: 0 } },
  { op: "concat", name: "axis -1 of 3-D", inputs: [input(903, [2, 2, 1]), input(904, [2, 2, 3])], attrs: { axis: -1 } },
  { op: "concat", name: "middle axis with an empty input", inputs: [input(905, [2, 1, 2]), input(906, [2, 0, 2]), input(907, [2, 2, 2])], attrs: { axis: 1 } },
  {
    op: "concat",
    name: "int32 and a transposed view",
    inputs: [input(908, [2, 3], "int32"), { values: [1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: "int32", strides: [1, 2] }],
    attrs: { axis: 1 },
  },
  { op: "concat", name: "bool, one input", inputs: [{ values: [1, 0, 1], shape: [3], dtype: "bool" }], attrs: {} },
  { op: "concat", name: "float16", inputs: [input(909, [2, 2], "float16"), input(910, [2, 2], "float16")], attrs: { axis: 0 } },
);

// GEMM epilogues: one conv and one matmul geometry per program.
cases.push(...epilogueCases().filter((c) => /^(conv 3x3|conv groups|conv input gradient stride|matmul transposed)/.test(c.name)));

/** The recurrent composites over their options: directions, sequence lengths (one of 0), layouts, clip, peepholes, activations. */
function recurrentCase(
  op: "lstm" | "gru" | "rnn",
  name: string,
  o: { t: number; b: number; i: number; h: number; attrs: Attrs; lens?: number[]; state?: boolean; peepholes?: boolean; dtype?: DType },
): Case {
  const gates = { lstm: 4, gru: 3, rnn: 1 }[op] * o.h;
  const d = o.attrs.direction === "bidirectional" ? 2 : 1;
  const layout1 = o.attrs.layout === 1;
  const dtype = o.dtype ?? "float32";
  const state = layout1 ? [o.b, d, o.h] : [d, o.b, o.h];
  const inputs = [
    input(500, layout1 ? [o.b, o.t, o.i] : [o.t, o.b, o.i], dtype),
    input(501, [d, gates, o.i], dtype),
    input(502, [d, gates, o.h], dtype),
    input(503, [d, 2 * gates], dtype),
  ];
  const optional = ["bias"];
  if (o.lens) inputs.push({ values: o.lens, shape: [o.b], dtype: "int32" }), optional.push("sequenceLens");
  if (o.state) inputs.push(input(504, state, dtype)), optional.push("initialH");
  if (o.state && op === "lstm") inputs.push(input(505, state, dtype)), optional.push("initialC");
  if (o.peepholes) inputs.push(input(506, [d, 3 * o.h], dtype)), optional.push("peepholes");
  return { op, name, inputs, attrs: { ...o.attrs, optionalInputs: optional.join(",") } };
}

cases.push(
  recurrentCase("lstm", "forward with peepholes and initial states", { t: 4, b: 2, i: 3, h: 3, attrs: {}, state: true, peepholes: true }),
  recurrentCase("lstm", "bidirectional, sequence lengths with a 0, layout 1", {
    t: 4,
    b: 3,
    i: 2,
    h: 2,
    attrs: { direction: "bidirectional", layout: 1 },
    lens: [4, 0, 2],
    state: true,
    peepholes: true,
  }),
  recurrentCase("lstm", "reverse, clip, inputForget, activations", {
    t: 3,
    b: 2,
    i: 2,
    h: 3,
    attrs: {
      direction: "reverse",
      clip: 0.4,
      inputForget: true,
      activations: "hardsigmoid,softsign,affine",
      activationAlpha: [0.3, 0, 0.7],
      activationBeta: [0.4, 0, 0.1],
    },
  }),
  recurrentCase("lstm", "float16", { t: 3, b: 2, i: 2, h: 2, attrs: { direction: "bidirectional" }, state: true, dtype: "float16" }),
  recurrentCase("gru", "linearBeforeReset, bidirectional, sequence lengths, layout 1", {
    t: 4,
    b: 2,
    i: 3,
    h: 2,
    attrs: { direction: "bidirectional", layout: 1, linearBeforeReset: true },
    lens: [2, 4],
    state: true,
  }),
  recurrentCase("gru", "reverse, clip, elu and scaledtanh", {
    t: 3,
    b: 2,
    i: 2,
    h: 3,
    attrs: { direction: "reverse", clip: 0.6, activations: "elu,scaledtanh", activationAlpha: [0.5, 0.9], activationBeta: [0, 1.3] },
    state: true,
  }),
  recurrentCase("rnn", "relu and leakyrelu, bidirectional, sequence lengths", {
    t: 3,
    b: 3,
    i: 2,
    h: 2,
    attrs: { direction: "bidirectional", activations: "relu,leakyrelu", activationAlpha: [0, 0.2], activationBeta: [0, 0] },
    lens: [3, 1, 0],
  }),
  recurrentCase("rnn", "thresholdedrelu and softplus with clip", {
    t: 3,
    b: 1,
    i: 2,
    h: 2,
    attrs: { direction: "bidirectional", clip: 0.5, activations: "thresholdedrelu,softplus", activationAlpha: [0.1, 0], activationBeta: [0, 0] },
  }),
);

const TOLERANCE: Partial<Record<DType, { rtol: number; atol: number }>> = {
  float32: { rtol: 1e-5, atol: 1e-5 },
  // Decomposed float16 rounds every intermediate; native kernels round once.
  float16: { rtol: 5e-3, atol: 3e-3 },
};

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, dtype: DType, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: element count`);
  const tol = TOLERANCE[dtype] ?? { rtol: 0, atol: 0 };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) assert.ok(Number.isNaN(e) && Number.isNaN(a), `${what}: element ${i} is ${a}, expected ${e}`);
    else if (!Number.isFinite(e) || !Number.isFinite(a)) assert.equal(a, e, `${what}: element ${i}`);
    else assert.ok(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e), `${what}: element ${i} is ${a}, expected ${e}`);
  }
}

/** Every output of the decomposition (one for most composites; the recurrent ones have two or three). */
function runDecomposed(c: Case): { outputs: { shape: number[]; dtype: DType; values: ArrayLike<number> }[]; launched: Set<string> } {
  const device = new CpuDevice();
  const ctx = new PrimitiveContext(device);
  const inputs = c.inputs.map((i) => uploadView(device, i));
  const outputs = getOp(c.op).decompose!(ctx, inputs, c.attrs);
  for (const out of outputs) assert.ok(isContiguous(out.shape, out.strides), "the decomposition's results must be contiguous");
  return {
    outputs: outputs.map((out) => ({
      shape: [...out.shape],
      dtype: out.dtype,
      values: download(device, out.buffer, out.dtype, sizeOf(out.shape), out.offset),
    })),
    launched: ctx.launched,
  };
}

test("every composite has decomposition cases here", () => {
  const covered = new Set(cases.map((c) => c.op));
  assert.deepEqual(
    [...COMPOSITES, ...RECURRENT_OPS].map((d) => d.name).filter((n) => !covered.has(n)),
    [],
  );
});

test("the primitives-only registry holds no composite kernel", () => {
  for (const d of COMPOSITES) assert.equal(primitivesOnly.find("cpu", d.name, "float32"), undefined, d.name);
});

for (const c of cases) {
  test(`${c.op} decomposed into primitives equals the native kernel: ${c.name}`, () => {
    const natives = runOp(c.op, c.inputs, c.attrs);
    const decomposed = runDecomposed(c);
    assert.equal(decomposed.outputs.length, natives.length, "output count");
    natives.forEach((native, i) => {
      const out = decomposed.outputs[i]!;
      assert.deepEqual(out.shape, native.shape);
      assert.equal(out.dtype, native.dtype);
      assertClose(out.values, native.values, native.dtype, `${c.op} (${c.name}) output ${i}`);
    });
    for (const op of decomposed.launched) assert.equal(getOp(op).kind, "primitive", op);
  });
}

test("a decomposition names the op when a gradient's shape does not match the forward op", () => {
  const c: Case = { op: "conv2dGradInput", name: "bad gradOut", inputs: [input(1, [1, 2, 4, 4]), input(2, [2, 1, 3, 3])], attrs: { inputShape: [1, 1, 5, 5] } };
  assert.throws(() => runDecomposed(c), { name: "ShapeError", message: "conv2dGradInput: gradOut must be [1, 2, 3, 3], got [1, 2, 4, 4]" });
});
