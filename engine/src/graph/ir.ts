import type { AttrValue, DType, HostArray } from "@polychip/hal";

/**
 * Polychip's graph IR: what `trace` captures, what passes rewrite, what model files and ONNX
 * import/export carry, and what the lean runtime executes.
 *
 * A node's `op` is either a HAL op (executed through the device dispatcher: kernel, decomposition
 * or fallback) or one of the STRUCTURAL_OPS below, which the runtime executes itself (views, shape
 * arithmetic, constants) — they need no device kernel.
 */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  /** Concrete sizes, or a symbol ("batch") for a dimension fixed only at run time. */
  readonly shape: readonly (number | string)[];
}

export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** Optional label for printing and profiling (e.g. the module path "0.weight" or an ONNX node name). */
  readonly name?: string;
}

export interface Initializer {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Values in row-major order; float16 held as float32 (see hal/dtype.ts). */
  readonly data: HostArray;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly Initializer[];
  /** Free-form metadata carried through files (producer, accuracy, training config). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Ops the runtime executes without a device kernel. Inputs named "" are absent optional inputs.
 * - reshape(x[, shape:int32]) attrs {shape?: number[]}: 0 copies the input dim, -1 infers one dim.
 * - permute(x) attrs {dims}
 * - slice(x[, starts, ends, axes, steps]) attrs {starts, ends, axes?, steps?} (ONNX Slice semantics; negative steps allowed)
 * - expand(x[, shape]) attrs {shape?}: numpy-broadcast x to shape
 * - squeeze(x) attrs {axes?}; unsqueeze(x) attrs {axes}; flatten(x) attrs {axis} (ONNX Flatten → 2-D)
 * - identity(x); constant() attrs {value: number[], shape, dtype}
 * - shape(x) → int32 [rank] attrs {start?, end?}; size(x) → int32 scalar
 * - split(x[, sizes]) attrs {axis, sizes?} → several outputs (views)
 * Details the runtime and shape inference follow (the HAL's structural.ts is the one definition):
 * - reshape attrs {allowZero?}: when true, 0 is a literal zero-size dim (ONNX allowzero=1).
 * - permute without dims reverses the dims (ONNX Transpose default).
 * - squeeze(x[, axes]) / unsqueeze(x[, axes]): axes may come as an input instead of the attribute (ONNX 13+);
 *   squeeze without axes drops every size-1 dim; unsqueeze axes count in the output's rank.
 * - slice: starts/ends/axes/steps may each come as inputs 1–4 instead of attributes (ONNX 10+).
 * - split without sizes: as many outputs as the node declares, ceil(dim / n) each, the last one smaller.
 * - shape attrs {start?, end?}: ONNX 15 clamping; reads of shape-valued inputs accept any integer dtype.
 * - flatten axis may be negative (counts from the end); axis 0 gives [1, size].
 */
export { STRUCTURAL_OPS, isStructuralOp, type StructuralOp } from "@polychip/hal";

/**
 * A source of value names not yet used in `graph` (its inputs, initialisers and node outputs):
 * `fresh("w_q")` gives w_q, then w_q2, w_q3… For passes that add values.
 */
export function nameAllocator(graph: Graph): (base: string) => string {
  const taken = new Set([...graph.inputs.map((v) => v.name), ...graph.initializers.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)]);
  return (base) => {
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}${k}`;
    taken.add(name);
    return name;
  };
}
