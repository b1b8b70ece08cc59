import { PolychipError, ShapeError, type Attrs, type DType } from "@polychip/hal";
import type { Graph, GraphNode, Initializer } from "../graph/ir.ts";
import { resolveTarget, sliceAxis } from "@polychip/hal";
import * as ops from "../ops/index.ts";
import { flip } from "../ops/rearrange.ts";
import { noGrad } from "../tape/grad-mode.ts";
import { keep } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";
import { parameter } from "./parameter.ts";

type In = (Tensor | undefined)[];
type Handler = (xs: In, a: Attrs, host: (i: number, attr: string) => number[] | undefined, outputs: number) => Tensor | Tensor[];
const x0 = (xs: In) => xs[0]!;
const unary =
  (f: (x: Tensor) => Tensor): Handler =>
  (xs) =>
    f(x0(xs));
const binary =
  (f: (a: Tensor, b: Tensor) => Tensor): Handler =>
  (xs) =>
    f(xs[0]!, xs[1]!);
const num = (a: Attrs, k: string, d: number) => (typeof a[k] === "number" ? (a[k] as number) : d);
const list = (a: Attrs, k: string) => a[k] as number[] | undefined;
const axesOf = (a: Attrs, host: Parameters<Handler>[2], i: number, x: Tensor) =>
  (list(a, "axes") ?? host(i, "axes") ?? []).map((d) => (d < 0 ? d + x.ndim : d));

/**
 * Each graph op as the eager engine call that records its gradient, so a graph replays with
 * autograd. HAL attrs are spelled as in graph/ir.ts; structural ops read shape-like inputs from
 * constants and initialisers (static shapes).
 */
const HANDLERS: Record<string, Handler> = {
  neg: unary(ops.neg),
  abs: unary(ops.abs),
  sign: unary(ops.sign),
  exp: unary(ops.exp),
  log: unary(ops.log),
  sqrt: unary(ops.sqrt),
  rsqrt: unary(ops.rsqrt),
  reciprocal: unary(ops.reciprocal),
  sin: unary(ops.sin),
  cos: unary(ops.cos),
  tanh: unary(ops.tanh),
  sigmoid: unary(ops.sigmoid),
  relu: unary(ops.relu),
  erf: unary(ops.erf),
  floor: unary(ops.floor),
  ceil: unary(ops.ceil),
  round: unary(ops.round),
  logicalNot: unary(ops.logicalNot),
  isNaN: unary(ops.isNaN),
  add: binary(ops.add),
  sub: binary(ops.sub),
  mul: binary(ops.mul),
  div: binary(ops.div),
  pow: binary(ops.pow),
  maximum: binary(ops.maximum),
  minimum: binary(ops.minimum),
  mod: binary(ops.mod),
  fmod: binary(ops.fmod),
  equal: binary(ops.eq),
  notEqual: binary(ops.ne),
  less: binary(ops.lt),
  lessEqual: binary(ops.le),
  greater: binary(ops.gt),
  greaterEqual: binary(ops.ge),
  logicalAnd: binary(ops.logicalAnd),
  logicalOr: binary(ops.logicalOr),
  logicalXor: binary(ops.logicalXor),
  where: (xs) => ops.where(xs[0]!, xs[1]!, xs[2]!),
  cast: (xs, a) => ops.cast(x0(xs), a.to as DType),
  copy: (xs) => ops.clone(x0(xs)),
  fill: (_xs, a) => ops.full(a.shape as number[], a.value as number, { dtype: a.dtype as DType }),
  reduceSum: (xs, a) => ops.sum(x0(xs), list(a, "axes"), !!a.keepDims),
  reduceProd: (xs, a) => ops.prod(x0(xs), list(a, "axes"), !!a.keepDims),
  reduceMax: (xs, a) => ops.max(x0(xs), list(a, "axes"), !!a.keepDims),
  reduceMin: (xs, a) => ops.min(x0(xs), list(a, "axes"), !!a.keepDims),
  argMax: (xs, a) => ops.argmax(x0(xs), num(a, "axis", 0), !!a.keepDims),
  argMin: (xs, a) => ops.argmin(x0(xs), num(a, "axis", 0), !!a.keepDims),
  matmul: (xs, a) => ops.matmul(a.transposeA ? ops.transpose(xs[0]!) : xs[0]!, a.transposeB ? ops.transpose(xs[1]!) : xs[1]!),
  gather: (xs, a) => ops.gather(xs[0]!, xs[1]!, num(a, "axis", 0)),
  gatherElements: (xs, a) => ops.gatherElements(xs[0]!, xs[1]!, num(a, "axis", 0)),
  softmax: (xs, a) => ops.softmax(x0(xs), num(a, "axis", -1)),
  logSoftmax: (xs, a) => ops.logSoftmax(x0(xs), num(a, "axis", -1)),
  layerNorm: (xs, a) => ops.layerNorm(x0(xs), x0(xs).shape.slice(num(a, "axis", -1)), xs[1], xs[2], num(a, "epsilon", 1e-5)),
  batchNorm: (xs, a) => ops.batchNorm(x0(xs), xs[3], xs[4], xs[1], xs[2], false, 0.1, num(a, "epsilon", 1e-5)),
  conv2d: (xs, a) =>
    ops.conv2d(xs[0]!, xs[1]!, xs[2], {
      stride: list(a, "strides") as [number, number],
      padding: list(a, "pads") as [number, number, number, number],
      dilation: list(a, "dilations") as [number, number],
      groups: num(a, "groups", 1),
    }),
  maxPool2d: (xs, a) =>
    ops.maxPool2d(x0(xs), a.kernel as [number, number], {
      stride: list(a, "strides") as [number, number],
      padding: list(a, "pads") as [number, number, number, number],
      ceilMode: !!a.ceilMode,
    }),
  avgPool2d: (xs, a) =>
    ops.avgPool2d(x0(xs), a.kernel as [number, number], {
      stride: list(a, "strides") as [number, number],
      padding: list(a, "pads") as [number, number, number, number],
      ceilMode: !!a.ceilMode,
      countIncludePad: a.countIncludePad !== false,
    }),
  pad: (xs, a) => {
    const p = list(a, "pads")!;
    const r = p.length / 2;
    return ops.pad(x0(xs), Array.from({ length: r }, (_, i) => [p[i]!, p[r + i]!]).flat(), (a.mode as "constant") ?? "constant", num(a, "value", 0));
  },
  concat: (xs, a) => ops.cat(xs as Tensor[], num(a, "axis", 0)),
  randomUniform: (_xs, a) => ops.rand(a.shape as number[], { low: num(a, "low", 0), high: num(a, "high", 1) }),
  randomNormal: (_xs, a) => ops.randn(a.shape as number[], { mean: num(a, "mean", 0), std: num(a, "std", 1) }),
  // Structural ops.
  identity: (xs) => ops.reshape(x0(xs), x0(xs).shape),
  reshape: (xs, a, host) => {
    const target = list(a, "shape") ?? host(1, "shape");
    if (!target) throw new ShapeError("reshape: the target shape must be static (an attribute, a constant or an initialiser)");
    return ops.reshape(x0(xs), resolveTarget("reshape", x0(xs).shape, target, !!a.allowZero));
  },
  permute: (xs, a) => ops.permute(x0(xs), list(a, "dims") ?? x0(xs).shape.map((_, i, s) => s.length - 1 - i)),
  flatten: (xs, a) => {
    const x = x0(xs);
    const axis = num(a, "axis", 1) < 0 ? num(a, "axis", 1) + x.ndim : num(a, "axis", 1);
    return ops.reshape(x, [x.shape.slice(0, axis).reduce((p, d) => p * d, 1), x.shape.slice(axis).reduce((p, d) => p * d, 1)]);
  },
  squeeze: (xs, a, host) => {
    const x = x0(xs);
    const axes = axesOf(a, host, 1, x);
    return ops.reshape(
      x,
      x.shape.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1)),
    );
  },
  unsqueeze: (xs, a, host) => {
    const x = x0(xs);
    const rank = x.ndim + (list(a, "axes") ?? host(1, "axes") ?? []).length;
    const axes = (list(a, "axes") ?? host(1, "axes") ?? []).map((d) => (d < 0 ? d + rank : d));
    const shape = [...x.shape];
    for (const ax of [...axes].sort((p, q) => p - q)) shape.splice(ax, 0, 1);
    return ops.reshape(x, shape);
  },
  expand: (xs, a, host) => ops.expand(x0(xs), list(a, "shape") ?? host(1, "shape")!),
  slice: (xs, a, host) => {
    let x = x0(xs);
    const starts = list(a, "starts") ?? host(1, "starts")!;
    const ends = list(a, "ends") ?? host(2, "ends")!;
    const axes = (list(a, "axes") ?? host(3, "axes") ?? starts.map((_, i) => i)).map((d) => (d < 0 ? d + x.ndim : d));
    const steps = list(a, "steps") ?? host(4, "steps") ?? starts.map(() => 1);
    axes.forEach((axis, i) => {
      const { first, count, reversed } = sliceAxis(x.shape[axis]!, starts[i]!, ends[i]!, steps[i]!);
      const step = Math.abs(steps[i]!);
      x = ops.slice(x, axis, first, first + Math.max(count - 1, 0) * step + (count ? 1 : 0), step);
      if (reversed) x = flip(x, [axis]);
    });
    return x;
  },
  split: (xs, a, host, outputs) => {
    const x = x0(xs);
    const axis = num(a, "axis", 0);
    const sizes = list(a, "sizes") ?? (xs[1] ? host(1, "sizes") : undefined);
    return ops.split(x, sizes ?? Math.ceil(x.shape[axis < 0 ? axis + x.ndim : axis]! / outputs), axis);
  },
};

/** An imported or loaded graph as a Module: float initialisers become parameters (named as in the graph), the nodes replay with autograd. */
export class GraphModule extends Module {
  /** The trainable initialisers, by graph name (so stateDict names are "weights.<name>"). */
  readonly weights: Record<string, Tensor> = {};
  readonly #constants = new Map<string, { tensor: Tensor; host: number[] }>();

  constructor(
    readonly graph: Graph,
    opts: { device?: string; trainable?: (init: Initializer) => boolean } = {},
  ) {
    super();
    const unsupported = [...new Set(graph.nodes.map((n) => n.op).filter((op) => !(op in HANDLERS) && op !== "constant" && op !== "shape" && op !== "size"))];
    if (unsupported.length) throw new PolychipError(`GraphModule: graph '${graph.name}' uses ops that cannot be trained yet: ${unsupported.join(", ")}`);
    const trainable = opts.trainable ?? ((i: Initializer) => i.dtype === "float32" || i.dtype === "float16");
    for (const init of graph.initializers) {
      const t = noGrad(() =>
        ops.tensor(Float32Array.from(init.data as ArrayLike<number>), {
          shape: [...init.shape],
          dtype: init.dtype === "float16" ? "float32" : init.dtype,
          device: opts.device,
        }),
      );
      if (trainable(init)) this.weights[init.name] = parameter(t);
      else this.#constants.set(init.name, { tensor: keep(t), host: Array.from(init.data as ArrayLike<number>) });
    }
  }

  /** Runs the graph on the inputs, in the graph's input order; returns the first output (see run() for all). */
  forward(...inputs: Tensor[]): Tensor {
    return this.run(...inputs)[0]!;
  }

  run(...inputs: Tensor[]): Tensor[] {
    const g = this.graph;
    if (inputs.length !== g.inputs.length)
      throw new PolychipError(
        `GraphModule: graph '${g.name}' takes ${g.inputs.length} inputs (${g.inputs.map((i) => i.name).join(", ")}), got ${inputs.length}`,
      );
    const env = new Map<string, Tensor>();
    const host = new Map<string, number[]>();
    g.inputs.forEach((v, i) => env.set(v.name, inputs[i]!));
    for (const [name, c] of this.#constants) {
      env.set(name, c.tensor);
      host.set(name, c.host);
    }
    for (const [name, w] of Object.entries(this.weights)) env.set(name, w);
    for (const node of g.nodes) this.step(node, env, host);
    return g.outputs.map((o) => {
      const t = env.get(o.name);
      if (!t) throw new PolychipError(`GraphModule: output '${o.name}' was never computed`);
      return t;
    });
  }

  private step(node: GraphNode, env: Map<string, Tensor>, host: Map<string, number[]>): void {
    const a = node.attrs as Attrs;
    if (node.op === "constant" || node.op === "shape" || node.op === "size") {
      const x = env.get(node.inputs[0] ?? "");
      const values =
        node.op === "constant"
          ? (a.value as number[])
          : node.op === "size"
            ? [x!.size]
            : x!.shape.slice(num(a, "start", 0), a.end === undefined ? undefined : (a.end as number));
      const shape = node.op === "constant" ? (a.shape as number[]) : node.op === "size" ? [] : [values.length];
      const dtype = node.op === "constant" ? (a.dtype as DType) : "int32";
      host.set(node.outputs[0]!, values);
      env.set(node.outputs[0]!, ops.tensor(values, { shape, dtype }));
      return;
    }
    const xs = node.inputs.map((n) => (n === "" ? undefined : env.get(n)));
    const missing = node.inputs.find((n, i) => n !== "" && !xs[i]);
    if (missing) throw new PolychipError(`GraphModule: node ${node.name ?? node.op} reads '${missing}', which no earlier node produced`);
    const out = HANDLERS[node.op]!(
      xs,
      a,
      (i, attr) => {
        const name = node.inputs[i];
        if (!name) return undefined;
        const v = host.get(name);
        if (!v) throw new ShapeError(`GraphModule: ${node.op} input ${i} ('${name}', its ${attr}) must be a constant or initialiser to train the graph`);
        return v;
      },
      node.outputs.length,
    );
    const outs = Array.isArray(out) ? out : [out];
    node.outputs.forEach((name, i) => outs[i] && env.set(name, outs[i]!));
  }

  /** The graph with the current (trained) parameter values as its initialisers, ready to save or export again. */
  async toGraph(): Promise<Graph> {
    const initializers = await Promise.all(
      this.graph.initializers.map(async (init) => {
        const w = this.weights[init.name];
        return w ? { ...init, data: Float32Array.from(await w.data()) } : init;
      }),
    );
    return { ...this.graph, initializers };
  }
}
