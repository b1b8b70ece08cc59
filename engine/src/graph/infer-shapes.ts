import { getOp, inferStructuralSymbolic, ShapeError, sizeOf, type StructuralOp, type TensorMeta } from "@polychip/hal";
import { atNode } from "./node-error.ts";
import { evaluateOnHost, KNOWN_VALUE_LIMIT, type KnownValue } from "./host-eval.ts";
import { isStructuralOp, type Graph, type ValueInfo } from "./ir.ts";

/** Unknown = the shape depends on values computed at run time (a reshape target read from data). */
type Known = KnownValue | null;

/** Concrete stand-ins for symbolic dims: two runs with different values tell which dims follow which symbol. */
function bindings(symbols: readonly string[], scale: number): Map<string, number> {
  return new Map(symbols.map((s, k) => [s, 1024 * scale * (2 * k + 1)]));
}

/** Every symbol ("batch") used by the graph's inputs. */
export function graphSymbols(graph: Graph): string[] {
  const out = new Set<string>();
  for (const v of graph.inputs) for (const d of v.shape) if (typeof d === "string") out.add(d);
  return [...out];
}

/** Evaluates shapes (and small contents) of every value with symbols bound to numbers. */
function evaluate(graph: Graph, binding: ReadonlyMap<string, number>): Map<string, Known> {
  const known = new Map<string, Known>();
  for (const v of graph.inputs) {
    known.set(v.name, { dtype: v.dtype, shape: v.shape.map((d) => (typeof d === "string" ? binding.get(d)! : d)) });
  }
  for (const init of graph.initializers) {
    const small = sizeOf(init.shape) <= KNOWN_VALUE_LIMIT;
    known.set(init.name, { dtype: init.dtype, shape: init.shape, values: small ? Array.from(init.data) : undefined });
  }
  graph.nodes.forEach((node, index) => {
    try {
      const inputs = node.inputs.map((name) => {
        if (name === "") return undefined;
        if (!known.has(name)) throw new ShapeError(`reads %${name}, which no input, initializer or earlier node defines`);
        return known.get(name)!;
      });
      if (inputs.some((i) => i === null)) {
        for (const o of node.outputs) known.set(o, null);
        return;
      }
      const outs = isStructuralOp(node.op)
        ? inferStructural(node.op, inputs as (KnownValue | undefined)[], node)
        : inferHal(node.op, inputs as (KnownValue | undefined)[], node);
      node.outputs.forEach((o, i) => known.set(o, outs[i] ?? null));
    } catch (err) {
      throw atNode(err, index, node);
    }
  });
  return known;
}

function inferStructural(op: StructuralOp, inputs: (KnownValue | undefined)[], node: Graph["nodes"][number]): Known[] {
  if (op !== "split" && node.outputs.length !== 1) throw new ShapeError(`${op} has one output, the node declares ${node.outputs.length}`);
  const [x, ...rest] = inputs;
  if (op !== "constant" && !x) throw new ShapeError(`${op}: missing its data input`);
  // A shape-valued input whose contents are unknown leaves the output shape unknown.
  if (rest.some((r) => r !== undefined && !r.values)) return node.outputs.map(() => null);
  // Symbols are bound to numbers here, so the HAL's rule gives numbers (and values where they follow).
  const metas = inferStructuralSymbolic(
    op,
    { x, extra: rest.map((r) => r?.values), attrs: node.attrs, outputCount: node.outputs.length },
    { valueLimit: KNOWN_VALUE_LIMIT },
  );
  // Bound shapes give numbers only, values included.
  return metas.map((m) => ({ dtype: m.dtype, shape: m.shape as number[], values: m.values as readonly number[] | undefined }));
}

function inferHal(op: string, inputs: (KnownValue | undefined)[], node: Graph["nodes"][number]): Known[] {
  const def = getOp(op);
  // Absent optional inputs may only trail: HAL ops take their inputs by position.
  let present = inputs.length;
  while (present > 0 && inputs[present - 1] === undefined) present--;
  const args = inputs.slice(0, present);
  if (args.some((a) => a === undefined)) throw new ShapeError(`${op}: only trailing inputs may be absent`);
  if (args.length < def.inputs[0] || args.length > def.inputs[1]) {
    throw new ShapeError(`${op} expects ${def.inputs[0] === def.inputs[1] ? def.inputs[0] : `${def.inputs[0]}–${def.inputs[1]}`} inputs, got ${args.length}`);
  }
  const metas: TensorMeta[] = def.infer(args as KnownValue[], node.attrs);
  if (metas.length !== node.outputs.length) throw new ShapeError(`${op} has ${metas.length} output(s), the node declares ${node.outputs.length}`);
  return metas.map((m) => ({ dtype: m.dtype, shape: [...m.shape], values: evaluateOnHost(op, args as KnownValue[], node.attrs, m) }));
}

/** inferShapes, or undefined when the graph's shapes cannot be inferred before running (a pass then leaves it as it is). */
export function inferredShapes(graph: Graph): Map<string, ValueInfo> | undefined {
  try {
    return inferShapes(graph);
  } catch {
    return undefined;
  }
}

/**
 * Shape and dtype of every value of the graph (inputs, initializers, node outputs). Symbolic input
 * dims carry through: a dim that follows "batch" is reported as "batch", one that is a multiple
 * of it as "batch*4", one that depends on it otherwise as "?". Values whose shape depends on data
 * computed at run time are left out. Throws the op's ShapeError/DTypeError, prefixed with the node.
 */
export function inferShapes(graph: Graph): Map<string, ValueInfo> {
  const known = inferred.get(graph);
  if (known && sameLists(known, graph)) return new Map(known.shapes);
  const shapes = inferAll(graph);
  inferred.set(graph, { lists: listsOf(graph), count: graph.nodes.length, shapes });
  return new Map(shapes);
}

/**
 * Shapes already inferred per graph, kept while its lists are the ones seen: graphs are not edited
 * in place, and the load-time passes and the session ask again for the same graph (or, through
 * noteShapes, for one a pass derived value for value).
 */
const inferred = new WeakMap<Graph, { readonly lists: readonly unknown[]; readonly count: number; readonly shapes: ReadonlyMap<string, ValueInfo> }>();

const listsOf = (graph: Graph): readonly unknown[] => [graph.nodes, graph.inputs, graph.outputs, graph.initializers];

function sameLists(known: { readonly lists: readonly unknown[]; readonly count: number }, graph: Graph): boolean {
  return known.count === graph.nodes.length && listsOf(graph).every((list, k) => list === known.lists[k]);
}

/**
 * Records what inferShapes gives for `graph`, taken from `shapes` (a superset, in any order): for a
 * pass whose result keeps every value's name and shape (fusion). Nothing is recorded when `shapes`
 * lacks one of `graph`'s values: inferShapes then infers them itself.
 */
export function noteShapes(graph: Graph, shapes: ReadonlyMap<string, ValueInfo>): void {
  // In the order inferShapes itself would give them.
  const names = [...graph.inputs.map((v) => v.name), ...graph.initializers.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)];
  const own = new Map<string, ValueInfo>();
  for (const name of names) {
    const info = shapes.get(name);
    if (!info) return;
    own.set(name, info);
  }
  inferred.set(graph, { lists: listsOf(graph), count: graph.nodes.length, shapes: own });
}

function inferAll(graph: Graph): Map<string, ValueInfo> {
  const symbols = graphSymbols(graph);
  const first = evaluate(graph, bindings(symbols, 1));
  let second: Map<string, Known> | undefined;
  if (symbols.length > 0) {
    try {
      second = evaluate(graph, bindings(symbols, 2));
    } catch {
      // Valid for some sizes only (a reshape to a fixed count): read the symbols back from the first run.
      second = undefined;
    }
  }
  const b1 = bindings(symbols, 1);
  const b2 = bindings(symbols, 2);
  const out = new Map<string, ValueInfo>();
  for (const [name, a] of first) {
    if (!a) continue;
    if (symbols.length === 0) {
      out.set(name, { name, dtype: a.dtype, shape: [...a.shape] });
      continue;
    }
    const b = second?.get(name);
    if (second && (!b || b.shape.length !== a.shape.length)) continue;
    const shape = a.shape.map((d1, i) => {
      const d2 = b ? b.shape[i]! : undefined;
      const sym = symbols.find((s) => b1.get(s) === d1 && (d2 === undefined || b2.get(s) === d2));
      if (d2 === d1 || (d2 === undefined && !sym)) return d1;
      if (sym) return sym;
      if (symbols.length === 1 && d2 !== undefined) {
        const [s] = symbols as [string];
        const factor = d1 / b1.get(s)!;
        if (Number.isInteger(factor) && d2 === factor * b2.get(s)!) return `${s}*${factor}`;
      }
      return "?";
    });
    out.set(name, { name, dtype: a.dtype, shape });
  }
  return out;
}
