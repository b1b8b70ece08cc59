import type { Tensor } from "@polychip/engine";
import { NonFiniteError, type Graph } from "@polychip/engine/runtime";

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

/** Refuses a graph whose weights hold a NaN or infinity, naming the initializer and element. */
export function checkFiniteGraph(graph: Graph, what: string): void {
  for (const init of graph.initializers) {
    if (init.dtype !== "float32" && init.dtype !== "float16") continue;
    const bad = firstNonFinite(init.data);
    if (bad) throw new NonFiniteError(`${what}: weight '${init.name}' holds ${bad.value} at element ${bad.index}; refusing a non-finite model`);
  }
}
