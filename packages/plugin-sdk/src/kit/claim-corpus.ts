import { roundToFloat16, sizeOf, type DType, type GraphView } from "@polychip/hal";
import { uniformValues } from "./cases/values.ts";
import { graphView, node, type GraphTensor } from "./graph-view.ts";

/** One graph of the claim corpus with the values to run it on. */
export interface CorpusGraph {
  readonly graph: GraphView;
  readonly tensors: Record<string, GraphTensor>;
  /** Magnitude of the largest sum any node accumulates, for the tolerance (as a kernel case's `accumulation`). */
  readonly accumulation: number;
}

let seed = 900;

function values(dtype: DType, shape: readonly number[], range = 1): GraphTensor {
  const raw = uniformValues(seed++, sizeOf(shape), -range, range, "float32");
  return { dtype, shape, values: dtype === "float16" ? raw.map(roundToFloat16) : raw };
}

function corpusGraph(
  name: string,
  dtype: DType,
  inputs: Record<string, readonly number[]>,
  weights: Record<string, readonly number[]>,
  nodes: Parameters<typeof graphView>[2],
  outputs: string[],
  accumulation: number,
): CorpusGraph {
  const tensors: Record<string, GraphTensor> = {};
  const ins = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, (tensors[k] = values(dtype, s))]));
  const ws = Object.fromEntries(Object.entries(weights).map(([k, s]) => [k, (tensors[k] = values(dtype, s, 0.5))]));
  return { graph: graphView(ins, ws, nodes, outputs, name), tensors, accumulation };
}

/**
 * Small graphs in the shapes accelerators fuse: linear + bias + activation, conv + bias + ReLU +
 * max-pool, conv → flatten → linear, and an attention block (QKᵀ, scale, softmax, ·V). Each is
 * offered to a plugin's claimSubgraphs at one float dtype; whatever it claims is checked against
 * the same nodes run op by op on the CPU reference.
 */
export function claimCorpus(dtype: DType): CorpusGraph[] {
  seed = 900;
  return [
    corpusGraph(
      "linear+bias+relu",
      dtype,
      { x: [4, 16] },
      { w: [8, 16], b: [1, 8] },
      [node("matmul", ["x", "w"], "h", { transposeB: true }), node("add", ["h", "b"], "hb"), node("relu", ["hb"], "y")],
      ["y"],
      16 * 0.5,
    ),
    corpusGraph(
      "conv+bias+relu+maxpool",
      dtype,
      { x: [1, 3, 8, 8] },
      { w: [4, 3, 3, 3], b: [1, 4, 1, 1] },
      [
        node("conv2d", ["x", "w"], "c", { pads: [1, 1, 1, 1] }),
        node("add", ["c", "b"], "cb"),
        node("relu", ["cb"], "r"),
        node("maxPool2d", ["r"], "y", { kernel: [2, 2], strides: [2, 2] }),
      ],
      ["y"],
      27 * 0.5,
    ),
    corpusGraph(
      "conv+relu→flatten→linear",
      dtype,
      { x: [2, 2, 6, 6] },
      { w: [3, 2, 3, 3], fc: [5, 48] },
      [
        node("conv2d", ["x", "w"], "c"),
        node("relu", ["c"], "r"),
        node("reshape", ["r"], "f", { shape: [2, 48] }),
        node("matmul", ["f", "fc"], "y", { transposeB: true }),
      ],
      ["y"],
      48 * 9,
    ),
    corpusGraph(
      "attention",
      dtype,
      { q: [2, 4, 8], k: [2, 4, 8], v: [2, 4, 8] },
      { scale: [1, 1, 1] },
      [
        node("matmul", ["q", "k"], "s", { transposeB: true }),
        node("mul", ["s", "scale"], "ss"),
        node("softmax", ["ss"], "p", { axis: -1 }),
        node("matmul", ["p", "v"], "y"),
      ],
      ["y"],
      8,
    ),
  ];
}
