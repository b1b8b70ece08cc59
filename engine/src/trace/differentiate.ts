import {
  applyPlanToValues,
  contiguousStrides,
  DTypeError,
  dtypeBytes,
  isStructuralOp,
  planShape,
  planStructural,
  PolychipError,
  ShapeError,
  sizeOf,
  type Attrs,
  type StructuralOp,
} from "@polychip/hal";
import { backward } from "../autograd/backward.ts";
import { GRADIENTS } from "../autograd/gradients.ts";
import { getDeviceEntry } from "../core/devices.ts";
import { fromHost, runOp } from "../core/dispatch.ts";
import { decodeHost } from "../core/host.ts";
import { nameAllocator, type Graph, type GraphNode, type Initializer } from "../graph/ir.ts";
import { deadCodeElimination } from "../graph/passes/dead-code.ts";
import { alias, run } from "../ops/basic.ts";
import { full, onesLike } from "../ops/creation.ts";
import { expand, permute, reshape } from "../ops/shape.ts";
import { tidy } from "../scope.ts";
import { isGradEnabled, setGradEnabled } from "../tape/grad-mode.ts";
import { activeRecorder, setRecorder } from "../tape/trace-hook.ts";
import { Tensor } from "../tensor.ts";
import { assemble, GraphRecorder } from "./trace.ts";

export interface DifferentiateOptions {
  /** The graph inputs to differentiate with respect to (float32 or float16). */
  readonly xs: readonly string[];
  /** The value whose gradient is taken; its upstream gradient is ones (so a tensor y means sum(y)). */
  readonly y: string;
  /** Names of the gradient outputs, one per x (default "grad_<x>"). */
  readonly outputNames?: readonly string[];
}

/**
 * The gradient of `y` with respect to each of `xs` as a graph: the same inputs and initializers as
 * `graph`, one output per x with x's shape (zeros where y does not depend on x). It is built the
 * way `trace` captures code: `graph` runs once eagerly on the CPU device with autograd, on zeros
 * (the values never matter, only the ops), then `backward` runs from y; the forward and backward
 * ops they run are recorded. Every gradient comes from the engine's one table of rules, so the
 * result runs on every device like any other graph. Synchronous: graph inputs need concrete dims.
 */
export function differentiate(graph: Graph, options: DifferentiateOptions): Graph {
  if (activeRecorder()) throw new PolychipError("differentiate: already tracing (traces do not nest)");
  const { xs, y } = options;
  for (const x of xs) {
    const input = graph.inputs.find((i) => i.name === x);
    if (!input) throw new PolychipError(`differentiate: '${x}' is not an input of the graph`);
    if (input.dtype !== "float32" && input.dtype !== "float16")
      throw new DTypeError(`differentiate: '${x}' is ${input.dtype}; only float32 and float16 values have gradients`);
  }
  const inputs = graph.inputs.map((v) => {
    if (v.shape.some((d) => typeof d !== "number")) throw new ShapeError(`differentiate: input '${v.name}' needs concrete dims, got [${v.shape.join(", ")}]`);
    return new Tensor(fromHost(new Array<number>(sizeOf(v.shape as number[])).fill(0), v.shape as number[], v.dtype, "cpu"));
  });
  const constants = graph.initializers.map((i) => new Tensor(fromHost(i.data, i.shape, i.dtype, "cpu")));
  // Internal names keep the recorder's own ("1", "2", "const0") apart from the graph's.
  const internal = new Map<string, string>();
  const recorder = new GraphRecorder(new Map(constants.map((t, i) => [t, `init:${i}`])), undefined);
  const inputNames = inputs.map((_, i) => `input:${i}`);
  graph.inputs.forEach((v, i) => internal.set(inputNames[i]!, v.name));
  graph.initializers.forEach((init, i) => internal.set(`init:${i}`, init.name));
  inputs.forEach((t, i) => {
    if (xs.includes(graph.inputs[i]!.name)) t.requiresGrad_();
    recorder.addInput(t, inputNames[i]!);
  });
  const gradEnabled = isGradEnabled();
  let grads: Tensor[] = [];
  try {
    setRecorder(recorder);
    setGradEnabled(true);
    try {
      grads = tidy(() => {
        const values = new Map<string, Tensor>();
        const known = new Map<string, readonly number[]>(graph.initializers.map((init) => [init.name, Array.from(init.data as ArrayLike<number>)]));
        graph.inputs.forEach((v, i) => values.set(v.name, inputs[i]!));
        graph.initializers.forEach((init, i) => values.set(init.name, constants[i]!));
        for (const node of graph.nodes) {
          const ins = node.inputs.map((n) => (n === "" ? undefined : values.get(n)));
          const outs = isStructuralOp(node.op) ? structural(node, ins, known) : [hal(node, ins)];
          outs.forEach((out, i) => {
            if (out.requiresGrad && out.gradFn && !GRADIENTS[out.gradFn.op])
              throw new ShapeError(
                `differentiate: no gradient rule for op '${node.op}'${node.name ? ` (node '${node.name}')` : ""}, on the path from the xs to '${y}'`,
              );
            values.set(node.outputs[i]!, out);
          });
        }
        const root = values.get(y);
        if (!root) throw new PolychipError(`differentiate: '${y}' is not a value of the graph`);
        if (root.requiresGrad) backward(root, onesLike(root));
        return xs.map((x) => {
          const t = inputs[graph.inputs.findIndex((v) => v.name === x)]!;
          return t.grad ? alias(t.grad) : full(t.shape, 0, { dtype: t.dtype, device: "cpu" });
        });
      });
      if (recorder.failure) throw recorder.failure;
    } finally {
      setGradEnabled(gradEnabled);
      setRecorder(undefined);
    }
    const resultNames = grads.map((g) => recorder.valueOf(g));
    const outputNames = options.outputNames ?? xs.map((x) => `grad_${x}`);
    if (outputNames.length !== xs.length) throw new PolychipError(`differentiate: ${outputNames.length} output names for ${xs.length} xs`);
    const recorded = deadCodeElimination(
      assemble(recorder, inputNames, resultNames, [...outputNames], readInitializersSync(recorder), { name: `${graph.name}_grad` }),
    );
    return renamed(recorded, graph, internal, new Set(outputNames));
  } finally {
    for (const t of [...inputs, ...constants]) {
      t.grad?.dispose();
      t.dispose();
    }
    for (const g of grads) g.dispose();
    for (const c of recorder.captured) c.view.storage.release();
  }
}

const describe = (node: GraphNode) => `differentiate: node '${node.name ?? node.outputs[0]}' (${node.op})`;

/** A HAL op run eagerly through `run`, so autograd records it under its own name. */
function hal(node: GraphNode, ins: (Tensor | undefined)[]): Tensor {
  if (node.outputs.length !== 1) throw new ShapeError(`${describe(node)}: ${node.outputs.length} outputs; only single-output HAL ops can be differentiated`);
  while (ins.length && ins[ins.length - 1] === undefined) ins.pop();
  if (ins.some((t) => t === undefined)) throw new ShapeError(`${describe(node)}: an absent optional input before a present one`);
  return run(node.op, ins as Tensor[], ruleAttrs(node.op, node.attrs as Attrs, ins[0]?.ndim ?? 0), "cpu");
}

/**
 * A structural op run eagerly from the HAL's own plan of it (the runtime's one definition):
 * reshapes, transposes and broadcasts through the engine's view ops, other views (slice, split)
 * as a gather of the elements they see, whose gradient (a scatterAdd into zeros) records as ops;
 * shape, size and constant values as constants. Inputs read as host values must be known.
 */
function structural(node: GraphNode, ins: (Tensor | undefined)[], known: Map<string, readonly number[]>): Tensor[] {
  const op = node.op as StructuralOp;
  const x = op === "constant" ? undefined : ins[0];
  const extra = node.inputs.slice(1).map((name) => {
    if (name === "") return undefined;
    const v = known.get(name);
    if (!v) throw new ShapeError(`${describe(node)}: input '${name}' must be known before run time`);
    return v;
  });
  const view = x && { shape: x.shape, strides: contiguousStrides(x.shape), offset: 0, dtype: x.dtype };
  const plans = planStructural(op, { x: view, extra, attrs: node.attrs as Attrs, outputCount: node.outputs.length });
  return plans.map((plan, i) => {
    const shape = [...planShape(plan)];
    if (plan.kind === "value") {
      known.set(node.outputs[i]!, plan.values);
      return new Tensor(fromHost(plan.values, shape, plan.dtype, "cpu"));
    }
    if (op === "identity") return alias(x!);
    if (op === "reshape" || op === "squeeze" || op === "unsqueeze" || op === "flatten" || plan.kind === "copy-reshape") return reshape(x!, shape);
    if (op === "expand") return expand(x!, shape);
    if (op === "permute") return permute(x!, (node.attrs.dims as number[] | undefined) ?? extra[0] ?? x!.shape.map((_, d) => x!.ndim - 1 - d));
    const picked = applyPlanToValues(
      plan,
      Array.from({ length: x!.size }, (_, k) => k),
    );
    const index = new Tensor(fromHost(picked, [picked.length], "int32", "cpu"));
    return reshape(run("gather", [reshape(x!, [x!.size]), index], { axis: 0 }, "cpu"), shape);
  });
}

/** Ops whose gradient rules read an axis: the table's rules expect what the eager ops pass, axes counted from 0 and listed. */
const REDUCTIONS = new Set(["reduceSum", "reduceProd", "reduceMax", "reduceMin"]);
const AXIS_OPS = new Set(["gather", "gatherElements", "concat", "softmax", "logSoftmax"]);

/** A graph node's attributes as the eager op would have written them (the same op, so the same result). */
function ruleAttrs(op: string, attrs: Attrs, rank: number): Attrs {
  const positive = (a: number) => (a < 0 ? a + rank : a);
  if (REDUCTIONS.has(op)) {
    const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : (attrs.axes as number[]).map(positive);
    return { ...attrs, axes: [...new Set(axes)].sort((a, b) => a - b) };
  }
  if (AXIS_OPS.has(op) && typeof attrs.axis === "number") return { ...attrs, axis: positive(attrs.axis) };
  return attrs;
}

/** The captured constants, read back from the CPU device without waiting (the eager run used only it). */
function readInitializersSync(recorder: GraphRecorder): Initializer[] {
  const cpu = getDeviceEntry("cpu");
  return recorder.captured.map(({ name, view }) => {
    const [dense] = runOp("copy", [view], {}, "cpu");
    try {
      const n = sizeOf(view.shape);
      const bytes =
        n === 0 ? new Uint8Array(0) : cpu.device.readSync!(dense!.storage.buffer, dense!.offset * dtypeBytes(view.dtype), n * dtypeBytes(view.dtype));
      return { name, dtype: view.dtype, shape: [...view.shape], data: decodeHost(bytes, view.dtype, n) };
    } finally {
      dense!.storage.release();
    }
  });
}

/** Gives the graph's inputs and initializers back their names, and the recorder's values names the graph does not use. */
function renamed(recorded: Graph, source: Graph, internal: ReadonlyMap<string, string>, outputs: ReadonlySet<string>): Graph {
  const fresh = nameAllocator(source);
  const names = new Map(internal);
  const r = (n: string) => {
    if (n === "" || outputs.has(n)) return n;
    let name = names.get(n);
    if (name === undefined) names.set(n, (name = fresh(`grad_${n}`)));
    return name;
  };
  return {
    ...recorded,
    inputs: source.inputs,
    nodes: recorded.nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) })),
    initializers: recorded.initializers.map((i) => ({ ...i, name: r(i.name) })),
  };
}
