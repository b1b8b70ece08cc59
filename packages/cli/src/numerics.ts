import type { Tensor } from "@polychip/engine";
import { isStructuralOp } from "@polychip/engine/graph";
import { NonFiniteError, type Graph } from "@polychip/engine/runtime";
import { parseFusedProgram } from "@polychip/hal";

/** The first NaN or infinity in a list of values, if any. */
function firstNonFinite(values: ArrayLike<number>): { index: number; value: number } | undefined {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return { index: i, value: values[i]! };
  return undefined;
}

/** Refuses a state dict holding a NaN or infinity, naming the tensor and element: such a model must not be saved or exported. */
export async function checkFiniteState(state: Map<string, Tensor>, what: string): Promise<void> {
  for (const [name, t] of state) {
    if (t.dtype !== "float32" && t.dtype !== "float16") continue;
    const bad = firstNonFinite(await t.data());
    if (bad) throw new NonFiniteError(`${what}: weight '${name}' holds ${bad.value} at element ${bad.index}; refusing a non-finite model`);
  }
}

/**
 * Ops for which an infinite operand is a meaning, not an overflow: a causal mask's −∞ added to
 * scores or chosen by `where` (masked_fill), a bound of maximum/minimum, a comparison.
 */
const MASK_READERS = new Set(["add", "sub", "where", "maximum", "minimum", "equal", "notEqual", "less", "lessEqual", "greater", "greaterEqual", "cast"]);

/**
 * The first op that reads `name` (through views: reshape, expand, slice…) as something other than
 * a mask, or undefined when every reader takes it as one. A fused kernel is looked into: the
 * steps that read the value must be mask readers too.
 */
function nonMaskReader(graph: Graph, name: string, seen = new Set<string>()): string | undefined {
  if (seen.has(name)) return undefined;
  seen.add(name);
  for (const node of graph.nodes) {
    for (let k = 0; k < node.inputs.length; k++) {
      if (node.inputs[k] !== name) continue;
      if (isStructuralOp(node.op)) {
        if (k > 0) return node.op; // a size or index argument
        for (const out of node.outputs) {
          const reader = nonMaskReader(graph, out, seen);
          if (reader) return reader;
        }
        continue;
      }
      if (node.op === "fused") {
        const step = parseFusedProgram(node.attrs, node.inputs.length).steps.find((st) => st.args.includes(k) && !MASK_READERS.has(st.op));
        if (step) return `${step.op} (in a fused kernel)`;
        continue;
      }
      if (!MASK_READERS.has(node.op)) return node.op;
    }
  }
  return undefined;
}

/**
 * Refuses a graph whose weights hold a NaN, or an infinity anywhere but in a mask, naming the
 * initializer and element. A causal mask's −∞ (added to scores, or the fill value of a `where`)
 * is legitimate; an infinity that a matmul, a convolution or a product reads is a broken model.
 */
export function checkFiniteGraph(graph: Graph, what: string): void {
  for (const init of graph.initializers) {
    if (init.dtype !== "float32" && init.dtype !== "float16") continue;
    const bad = firstNonFinite(init.data);
    if (!bad) continue;
    const nan = Array.prototype.findIndex.call(init.data, (v: number) => Number.isNaN(v));
    if (nan >= 0) throw new NonFiniteError(`${what}: weight '${init.name}' holds NaN at element ${nan}; refusing a non-finite model`);
    const reader = nonMaskReader(graph, init.name);
    if (reader)
      throw new NonFiniteError(
        `${what}: weight '${init.name}' holds ${bad.value} at element ${bad.index} and is read by ${reader} (only a mask, read by add, where, maximum or a comparison, may be infinite); refusing a non-finite model`,
      );
  }
}
