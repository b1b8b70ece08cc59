import { differentiate } from "@polychip/engine/graph";
import type { Graph, GraphNode, Initializer, ValueInfo } from "@polychip/engine/runtime";
import { FormatError, isFloat, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { output, type OpImporter } from "./helpers.ts";

/**
 * ai.onnx.preview.training Gradient (domain opset 1): dY/dX for each of the `xs`, where Y is the
 * value named `y` and the derivative goes through the nodes already lowered between them. The
 * node's inputs are the values of the xs then the `zs`; its outputs have the xs' shapes. A tensor
 * y takes ones as its upstream gradient (the gradient of its sum), an x that y does not depend on
 * gets zeros. The subgraph from the xs and zs to y is handed to the engine's `differentiate`,
 * which records its forward and backward ops from the engine's gradient rules; those ops are
 * emitted here like any other lowering, reading the Gradient node's inputs, so every device runs
 * them.
 */
const gradient: OpImporter = (ctx, node) => {
  const resolve = (name: string) => ctx.scope.get(name) ?? name;
  const xs = (node.attrs.strings("xs") ?? []).map(resolve);
  const zs = (node.attrs.strings("zs") ?? []).map(resolve);
  const yAttr = node.attrs.string("y");
  if (xs.length === 0) throw new FormatError(`${ctx.where()}: Gradient needs the attribute 'xs' (the names of the differentiated inputs)`);
  if (yAttr === undefined) throw new FormatError(`${ctx.where()}: Gradient needs the attribute 'y' (the name of the differentiated value)`);
  const y = resolve(yAttr);
  const named = [...xs, ...zs];
  if (node.inputs.length !== named.length)
    throw new FormatError(`${ctx.where()}: ${node.inputs.length} inputs for ${xs.length} xs and ${zs.length} zs (the inputs are their values, xs first)`);
  if (node.outputs.length > xs.length) throw new FormatError(`${ctx.where()}: ${node.outputs.length} outputs for ${xs.length} xs (one gradient per x)`);
  if (!ctx.has(y)) throw new FormatError(`${ctx.where()}: y '${yAttr}' is not produced by any earlier node, initializer or graph input`);
  const sub = subgraph(ctx, named, node.inputs, y);
  let grad: Graph;
  try {
    grad = differentiate(sub, { xs, y, outputNames: xs.map((_, i) => `gradient:${i}`) });
  } catch (err) {
    if (err instanceof Error) err.message = `${ctx.where()}: ${err.message}`;
    throw err;
  }
  const values = new Map<string, string>(sub.inputs.map((v) => [v.name, v.name]));
  named.forEach((n, i) => values.set(n, node.inputs[i]!));
  // The subgraph's own constants keep their names; the ones its backward made (ones, zeros, scalars) are new.
  const known = new Set(sub.initializers.map((i) => i.name));
  for (const init of grad.initializers) values.set(init.name, known.has(init.name) ? init.name : ctx.const(init.data, init.shape, init.dtype));
  const value = (n: string) => {
    const v = values.get(n);
    if (v === undefined) throw new Error(`${ctx.where()}: internal error, the gradient graph reads '${n}', which it does not define`);
    return v;
  };
  for (const n of grad.nodes) {
    const outs = ctx.opN(
      n.op,
      n.inputs.map((i) => (i === "" ? "" : value(i))),
      n.attrs,
      n.outputs.map(() => undefined),
    );
    n.outputs.forEach((o, i) => values.set(o, outs[i]!));
  }
  grad.outputs.forEach((o, i) => ctx.bind(output(node, i), value(o.name)));
};

/**
 * The lowered nodes y depends on, back to the xs and zs (bound to the Gradient node's inputs),
 * constants, and graph inputs: a graph whose inputs are the xs, zs and graph inputs it reads (with
 * the shapes of the values they stand for) and whose initializers are the constants it reads.
 */
function subgraph(ctx: ImportContext, named: readonly string[], inputs: readonly string[], y: string): Graph {
  const stops = new Set(named);
  const reached = new Set<GraphNode>();
  const free = new Set<string>();
  const consts = new Set<string>();
  const pending = [y];
  const seen = new Set<string>();
  while (pending.length) {
    const v = pending.pop()!;
    if (v === "" || seen.has(v)) continue;
    seen.add(v);
    if (stops.has(v)) continue;
    if (ctx.isConstant(v)) {
      consts.add(v);
      continue;
    }
    const producer = ctx.producer(v);
    if (producer) {
      reached.add(producer);
      pending.push(...producer.inputs);
    } else if (ctx.isModelInput(v) || (ctx.has(v) && !isFloat(ctx.dtype(v)))) {
      // Integer and bool values carry no gradient, wherever they come from (a host step's indices).
      free.add(v);
    } else
      throw new UnsupportedOpError(
        `${ctx.where()}: '${v}', on the way to y '${y}', is computed outside the graph's ops (a host step), which Gradient cannot differentiate through`,
      );
  }
  const info = (name: string, of: string): ValueInfo => ({ name, dtype: ctx.dtype(of), shape: ctx.shape(of, "Gradient") });
  const initializers: Initializer[] = [...consts].map((name) => {
    const c = ctx.constant(name)!;
    return { name, dtype: c.dtype, shape: [...c.shape], data: c.data };
  });
  return {
    name: "gradient",
    inputs: [...named.map((n, i) => info(n, inputs[i]!)), ...[...free].filter((n) => !stops.has(n)).map((n) => info(n, n))],
    outputs: [],
    nodes: ctx.nodes.filter((n) => reached.has(n)),
    initializers,
  };
}

export const GRADIENT_IMPORTERS: Readonly<Record<string, OpImporter>> = { Gradient: gradient };
