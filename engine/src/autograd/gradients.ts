import { contiguousStrides, describeTensors, formatShape, ShapeError, type Attrs } from "@polychip/hal";
import { copyInto } from "../core/dispatch.ts";
import { getDeviceEntry } from "../core/devices.ts";
import { declareNonDifferentiable, type GradNode, type InputMeta } from "../tape/node.ts";
import type { Tensor } from "../tensor.ts";
import { add, cast, cos, div, eq, exp, floor, ge, gt, le, log, lt, mul, neg, pow, run, sigmoid, sign, sin, sub, where } from "../ops/basic.ts";
import { full } from "../ops/creation.ts";
import { toDevice } from "../ops/devices-ops.ts";
import { matmulCore } from "../ops/linalg.ts";
import { sum } from "../ops/reduce.ts";
import { batchNormTrainingGradient } from "../ops/batch-norm-training.ts";
import { expand, permute, reshape, slice } from "../ops/shape.ts";

/** What a rule sees of the recorded op. */
export interface GradContext {
  readonly inputs: readonly Tensor[];
  readonly metas: readonly InputMeta[];
  readonly output: Tensor;
  readonly attrs: Attrs;
}

/** The gradient of each input (undefined where it gets none) from the output's gradient, in engine ops. */
export type GradientRule = (g: Tensor, c: GradContext) => readonly (Tensor | undefined)[];

const SQRT_2_OVER_PI = 2 / Math.sqrt(Math.PI);
const list = (attrs: Attrs, name: string) => attrs[name] as number[];

/** Where the operands tie, each gets half the gradient (as PyTorch). */
function tieSplit(g: Tensor, wins: Tensor, ties: Tensor): Tensor[] {
  const share = add(cast(wins, g.dtype), mul(cast(ties, g.dtype), 0.5));
  return [mul(g, share), mul(g, sub(1, share))];
}

/** The reduced gradient reshaped so it broadcasts against the input again. */
function restoreDims(g: Tensor, input: InputMeta, attrs: Attrs): Tensor {
  if (attrs.keepDims) return g;
  const axes = list(attrs, "axes");
  return reshape(
    g,
    input.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
  );
}

/** Ties share the gradient equally, as in PyTorch's max/min over dims. */
const extremum: GradientRule = (g, { inputs: [x], metas: [m], output, attrs }) => {
  const axes = list(attrs, "axes");
  const hit = cast(eq(x!, restoreDims(output, m!, attrs)), g.dtype);
  const count = run("reduceSum", [hit], { axes, keepDims: true });
  return [div(mul(hit, restoreDims(g, m!, attrs)), count)];
};

/** Zeros of the input's shape with `g` written into the sliced region. */
const sliceRule: GradientRule = (g, { metas: [m], attrs }) => {
  const axis = list(attrs, "axes")[0]!;
  const step = list(attrs, "steps")[0]!;
  const dim = m!.shape[axis]!;
  const start = list(attrs, "starts")[0]!;
  const begin = g.shape[axis] === 0 ? 0 : Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
  const out = full(m!.shape, 0, { dtype: m!.dtype, device: g.device });
  const strides = contiguousStrides(m!.shape);
  const dst = { ...out.view, shape: g.shape, strides: strides.map((s, i) => (i === axis ? s * step : s)), offset: begin * strides[axis]! };
  copyInto(getDeviceEntry(out.device), g.view, dst);
  return [out];
};

/**
 * Every op's backward, keyed by the op's name (HAL ops, the view ops, and the engine's own
 * composites "clamp" and "to"). Written in engine ops, so every device gets backward for free.
 */
export const GRADIENTS: Readonly<Record<string, GradientRule>> = {
  batchNormTraining: batchNormTrainingGradient,
  add: (g) => [g, g],
  sub: (g) => [g, neg(g)],
  mul: (g, { inputs: [x, y] }) => [mul(g, y!), mul(g, x!)],
  div: (g, { inputs: [x, y] }) => [div(g, y!), neg(div(mul(g, x!), mul(y!, y!)))],
  pow: (g, { inputs: [x, y], output }) => [mul(g, mul(y!, pow(x!, sub(y!, 1)))), y!.requiresGrad ? mul(g, mul(output, log(x!))) : undefined],
  maximum: (g, { inputs: [x, y] }) => tieSplit(g, gt(x!, y!), eq(x!, y!)),
  minimum: (g, { inputs: [x, y] }) => tieSplit(g, lt(x!, y!), eq(x!, y!)),
  mod: (g, { inputs: [x, y] }) => [g, neg(mul(g, floor(div(x!, y!))))],
  where: (g, { inputs: [cond] }) => {
    const zero = full([], 0, { dtype: g.dtype, device: g.device });
    return [undefined, run("where", [cond!, g, zero]), run("where", [cond!, zero, g])];
  },
  clamp: (g, { inputs: [x], attrs }) => {
    let inside = g;
    if (attrs.min !== undefined) inside = mul(inside, cast(ge(x!, attrs.min as number), g.dtype));
    if (attrs.max !== undefined) inside = mul(inside, cast(le(x!, attrs.max as number), g.dtype));
    return [inside];
  },

  neg: (g) => [neg(g)],
  abs: (g, { inputs: [x] }) => [mul(g, sign(x!))],
  exp: (g, { output }) => [mul(g, output)],
  log: (g, { inputs: [x] }) => [div(g, x!)],
  sqrt: (g, { output }) => [div(mul(g, 0.5), output)],
  rsqrt: (g, { output }) => [mul(g, mul(pow(output, 3), -0.5))],
  reciprocal: (g, { output }) => [neg(mul(g, mul(output, output)))],
  sin: (g, { inputs: [x] }) => [mul(g, cos(x!))],
  cos: (g, { inputs: [x] }) => [neg(mul(g, sin(x!)))],
  tanh: (g, { output }) => [mul(g, sub(1, mul(output, output)))],
  sigmoid: (g, { output }) => [mul(g, mul(output, sub(1, output)))],
  relu: (g, { inputs: [x] }) => [mul(g, cast(gt(x!, 0), g.dtype))],
  erf: (g, { inputs: [x] }) => [mul(g, mul(exp(neg(mul(x!, x!))), SQRT_2_OVER_PI))],
  cast: (g, { metas: [m] }) => [cast(g, m!.dtype)],
  copy: (g) => [g],
  identity: (g) => [g],
  to: (g, { metas: [m] }) => [toDevice(g, m!.device)],
  // A module's full backward hook (nn/hooks.ts): the rule is the capture the hook set up.
  backwardHook: (g, { attrs }) => (attrs.onGradient as unknown as (g: Tensor) => readonly (Tensor | undefined)[])(g),

  reshape: (g, { metas: [m] }) => [reshape(g, m!.shape)],
  permute: (g, { attrs }) => {
    const dims = list(attrs, "dims");
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => (inverse[d] = i));
    return [permute(g, inverse)];
  },
  // backward() sums gradients back to the input's shape, so passing g through is exact.
  expand: (g) => [g],
  slice: sliceRule,

  reduceSum: (g, { metas: [m], attrs }) => [expand(restoreDims(g, m!, attrs), m!.shape)],
  reduceProd: (g, { inputs: [x], metas: [m], output, attrs }) => {
    // d(prod)/dx_i is the product of the other elements: out/x_i, except where x_i is 0.
    const axes = list(attrs, "axes");
    const isZero = eq(x!, 0);
    const nonZero = where(isZero, 1, x!);
    const prodNonZero = run("reduceProd", [nonZero], { axes, keepDims: true });
    const zeros = run("reduceSum", [cast(isZero, "int32")], { axes, keepDims: true });
    const atZero = where(eq(zeros, 1), prodNonZero, 0);
    const local = where(isZero, atZero, div(restoreDims(output, m!, attrs), nonZero));
    return [mul(restoreDims(g, m!, attrs), local)];
  },
  reduceMax: extremum,
  reduceMin: extremum,

  // An operand that needs no gradient (a batch of inputs, a frozen weight) costs no product: in an
  // MLP's first layer that is one of the step's largest matmuls.
  matmul: (g, { inputs: [a, b], attrs }) => {
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    return [
      !a!.requiresGrad ? undefined : tA ? matmulCore(b!, g, tB, true) : matmulCore(g, b!, false, !tB),
      !b!.requiresGrad ? undefined : tB ? matmulCore(g, a!, true, tA) : matmulCore(a!, g, !tA, false),
    ];
  },
  conv2d: (g, { inputs: [x, w, bias], metas, attrs }) => [
    x!.requiresGrad ? run("conv2dGradInput", [g, w!], { ...attrs, inputShape: metas[0]!.shape }) : undefined,
    w!.requiresGrad ? run("conv2dGradWeight", [x!, g], { ...attrs, weightShape: metas[1]!.shape }) : undefined,
    bias ? sum(g, [0, 2, 3]) : undefined,
  ],
  // The transposed convolution (convTranspose2d): its gradients are a convolution and conv2dGradWeight.
  conv2dGradInput: (g, { inputs: [x, w], metas, attrs }) => {
    const { inputShape: _, ...conv } = attrs;
    return [
      x!.requiresGrad ? run("conv2d", [g, w!], conv) : undefined,
      w!.requiresGrad ? run("conv2dGradWeight", [g, x!], { ...conv, weightShape: metas[1]!.shape }) : undefined,
    ];
  },
  maxPool2d: (g, { inputs: [x], attrs }) => [run("maxPool2dGrad", [x!, g], attrs)],
  avgPool2d: (g, { metas: [m], attrs }) => [run("avgPool2dGrad", [g], { ...attrs, inputShape: m!.shape })],
  softplus: (g, { inputs: [x], attrs }) => [mul(g, sigmoid(mul(x!, (attrs.beta as number | undefined) ?? 1)))],
  softmax: (g, { output: y, attrs }) => [mul(y, sub(g, sum(mul(g, y), attrs.axis as number, true)))],
  logSoftmax: (g, { output: y, attrs }) => [sub(g, mul(exp(y), sum(g, attrs.axis as number, true)))],

  gatherElements: (g, { inputs: [, idx], metas: [m], attrs }) => [
    run("scatterAdd", [full(m!.shape, 0, { dtype: g.dtype, device: g.device }), idx!, g], { axis: attrs.axis }),
  ],
  gather: (g, { inputs: [, idx], metas: [m], attrs }) => {
    const axis = attrs.axis as number;
    const shape = m!.shape;
    const pre = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const post = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const n = idx!.size;
    const g3 = reshape(g, [pre, n, post]);
    const i3 = expand(reshape(idx!, [1, n, 1]), [pre, n, post]);
    const acc = run("scatterAdd", [full([pre, shape[axis]!, post], 0, { dtype: g.dtype, device: g.device }), i3, g3], { axis: 1 });
    return [reshape(acc, shape)];
  },
  concat: (g, { metas, attrs }) => {
    const axis = attrs.axis as number;
    let offset = 0;
    return metas.map((m) => {
      const size = m.shape[axis]!;
      const part = slice(g, axis, offset, offset + size);
      offset += size;
      return part;
    });
  },
  pad: (g, { metas: [m], attrs }) => {
    const pads = list(attrs, "pads");
    const rank = m!.shape.length;
    if (attrs.mode !== "constant" || pads.some((p) => p < 0)) {
      throw new ShapeError(`pad: gradient is only defined for non-negative constant padding (mode ${attrs.mode}, pads ${formatShape(pads)})`);
    }
    let r = g;
    m!.shape.forEach((d, i) => {
      const before = pads[i]!;
      if (before || pads[rank + i]) r = slice(r, i, before, before + d);
    });
    return [r];
  },
};

/** Float ops through which no gradient flows (PyTorch gives them none or zero). */
export const NON_DIFFERENTIABLE = ["sign", "floor", "ceil", "round", "fmod"] as const;
declareNonDifferentiable(NON_DIFFERENTIABLE);

/** The rule for a recorded node; an op recorded without one is a bug worth a clear error. */
export function gradientRule(node: GradNode): GradientRule {
  const rule = GRADIENTS[node.op];
  if (!rule) {
    const ins = describeTensors(node.inputMetas);
    throw new ShapeError(`backward: no gradient rule for op '${node.op}' (inputs ${ins}); add one to engine/src/autograd/gradients.ts`);
  }
  return rule;
}
