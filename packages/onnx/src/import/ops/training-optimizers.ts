import { FormatError, ShapeError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { castTo, input, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * The ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum; domain opset 1): one update
 * step of each optimised tensor, written as ONNX's operator docs give it, in elementwise ops.
 * Inputs are R (learning rate), T (update count), then per tensor group the tensors X_1..X_n,
 * their gradients, and their state (Adagrad: squared sums; Adam: averages then squared averages;
 * Momentum: momenta); outputs are the new tensors then the new states, in the same order. R and
 * T are read at run time (a `where` on T > 0, not a plan per step), so a training loop feeding
 * its step count reuses one plan.
 */

/** Float32 arithmetic for one optimiser step: `op(name, ...inputs)` and scalar constants. */
function arithmetic(ctx: ImportContext) {
  const op = (name: string, ...inputs: string[]) => ctx.op(name, inputs);
  const c = (v: number) => ctx.scalar(v, "float32");
  /** norm_coefficient · X + G: the gradient of 0.5 · norm_coefficient · ||X||² added. */
  const regularized = (x: string, g: string, normCoefficient: number) => (normCoefficient === 0 ? g : op("add", op("mul", c(normCoefficient), x), g));
  return { op, c, regularized };
}

type Arithmetic = ReturnType<typeof arithmetic>;

interface Operands {
  readonly step: Arithmetic;
  /** The learning rate R and the update count T, as float32 scalars. */
  readonly r: string;
  readonly t: string;
  /** T > 0 (a bool scalar). */
  readonly started: string;
  /** Per optimised tensor: its inputs (X, G, then the states), in float32. */
  readonly groups: string[][];
  /** Per optimised tensor: X's dtype, which its results take. */
  readonly dtypes: DType[];
}

/** Splits the variadic inputs into `perTensor` lists of n each (X…, G…, state…), checking count and shapes. */
function operands(ctx: ImportContext, node: OnnxNode, perTensor: number, what: string): Operands {
  const rest = node.inputs.length - 2;
  if (rest < perTensor || rest % perTensor !== 0)
    throw new FormatError(`${ctx.where()}: ${node.inputs.length} inputs; ${node.opType} takes R, T and ${perTensor} per optimised tensor (${what})`);
  const n = rest / perTensor;
  const r = input(ctx, node, 0);
  const t = input(ctx, node, 1);
  requireFloatInput(ctx, r);
  for (const v of [r, t])
    if (ctx.dims(v).some((d) => d !== 1)) throw new ShapeError(`${ctx.where()}: R and T must be scalars, got '${v}' of shape [${ctx.dims(v).join(", ")}]`);
  const groups = Array.from({ length: n }, (_, i) =>
    Array.from({ length: perTensor }, (_, k) => {
      const v = input(ctx, node, 2 + k * n + i);
      requireFloatInput(ctx, v);
      return v;
    }),
  );
  for (const group of groups) {
    const shape = ctx.dims(group[0]!);
    for (const v of group.slice(1))
      if (ctx.dims(v).length !== shape.length || ctx.dims(v).some((d, i) => d !== shape[i]))
        throw new ShapeError(`${ctx.where()}: '${v}' must have the shape of '${group[0]}', [${shape.join(", ")}]`);
  }
  const step = arithmetic(ctx);
  const tf = ctx.op("reshape", [castTo(ctx, t, "float32")], { shape: [] });
  return {
    step,
    r: ctx.op("reshape", [castTo(ctx, r, "float32")], { shape: [] }),
    t: tf,
    started: step.op("greater", tf, step.c(0)),
    groups: groups.map((g) => g.map((v) => castTo(ctx, v, "float32"))),
    dtypes: groups.map((g) => ctx.dtype(g[0]!)),
  };
}

/** Binds the results: output k·n + i is result k of tensor i, in that tensor's dtype (ONNX's T3 is one type). */
function bindResults(ctx: ImportContext, node: OnnxNode, { dtypes }: Operands, results: string[][]): void {
  const n = results.length;
  const most = n * results[0]!.length;
  if (node.outputs.length > most) throw new FormatError(`${ctx.where()}: ${node.outputs.length} outputs for ${n} optimised tensors (at most ${most})`);
  results.forEach((values, i) => values.forEach((v, k) => ctx.bind(output(node, k * n + i), castTo(ctx, v, dtypes[i]!))));
}

function requiredFloat(ctx: ImportContext, node: OnnxNode, name: string): number {
  const v = node.attrs.float(name);
  if (v === undefined) throw new FormatError(`${ctx.where()}: ${node.opType} needs the attribute '${name}'`);
  return v;
}

const adagrad: OpImporter = (ctx, node) => {
  const decay = node.attrs.float("decay_factor", 0);
  const epsilon = node.attrs.float("epsilon", 0);
  const norm = node.attrs.float("norm_coefficient", 0);
  const ops = operands(ctx, node, 3, "X, gradient, accumulated squared gradient");
  const { step, r, t, groups } = ops;
  const { op, c } = step;
  const rate = op("div", r, op("add", c(1), op("mul", t, c(decay))));
  const results = groups.map(([x, g, h]) => {
    const gr = step.regularized(x!, g!, norm);
    const hNew = op("add", h!, op("mul", gr, gr));
    return [op("sub", x!, op("div", op("mul", rate, gr), op("add", op("sqrt", hNew), c(epsilon)))), hNew];
  });
  bindResults(ctx, node, ops, results);
};

const adam: OpImporter = (ctx, node) => {
  const alpha = node.attrs.float("alpha", 0.9);
  const beta = node.attrs.float("beta", 0.999);
  const epsilon = node.attrs.float("epsilon", 0);
  const norm = node.attrs.float("norm_coefficient", 0);
  const post = node.attrs.float("norm_coefficient_post", 0);
  const ops = operands(ctx, node, 4, "X, gradient, averaged gradient, averaged squared gradient");
  const { step, r, t, started, groups } = ops;
  const { op, c } = step;
  // R·sqrt(1 − beta^T)/(1 − alpha^T) once updates have started (bias correction), R at T = 0.
  const oneMinusPower = (base: number) => op("sub", c(1), op("pow", c(base), t));
  const rate = op("where", started, op("div", op("mul", r, op("sqrt", oneMinusPower(beta))), oneMinusPower(alpha)), r);
  const results = groups.map(([x, g, v, h]) => {
    const gr = step.regularized(x!, g!, norm);
    const vNew = op("add", op("mul", c(alpha), v!), op("mul", c(1 - alpha), gr));
    const hNew = op("add", op("mul", c(beta), h!), op("mul", c(1 - beta), op("mul", gr, gr)));
    const xNew = op("sub", x!, op("mul", rate, op("div", vNew, op("add", op("sqrt", hNew), c(epsilon)))));
    return [post === 0 ? xNew : op("mul", c(1 - post), xNew), vNew, hNew];
  });
  bindResults(ctx, node, ops, results);
};

const momentum: OpImporter = (ctx, node) => {
  const alpha = requiredFloat(ctx, node, "alpha");
  const beta = requiredFloat(ctx, node, "beta");
  const norm = requiredFloat(ctx, node, "norm_coefficient");
  const mode = node.attrs.string("mode");
  if (mode !== "standard" && mode !== "nesterov")
    throw new FormatError(`${ctx.where()}: Momentum's mode must be 'standard' or 'nesterov', got ${mode === undefined ? "none" : `'${mode}'`}`);
  const ops = operands(ctx, node, 3, "X, gradient, momentum");
  const { step, r, started, groups } = ops;
  const { op, c } = step;
  // The first update (T = 0) takes the whole gradient: beta counts from the second on.
  const betaNow = op("where", started, c(beta), c(1));
  const results = groups.map(([x, g, v]) => {
    const gr = step.regularized(x!, g!, norm);
    const vNew = op("add", op("mul", c(alpha), v!), op("mul", betaNow, gr));
    const direction = mode === "standard" ? vNew : op("add", gr, op("mul", c(alpha), vNew));
    return [op("sub", x!, op("mul", r, direction)), vNew];
  });
  bindResults(ctx, node, ops, results);
};

export const TRAINING_OPTIMIZER_IMPORTERS: Readonly<Record<string, OpImporter>> = { Adagrad: adagrad, Adam: adam, Momentum: momentum };
