import type { DType } from "@polychip/hal";
import { nameAllocator, type Graph, type GraphNode, type Initializer } from "../ir.ts";
import { deadCodeElimination } from "./dead-code.ts";

const DEFAULT_EPSILON = 1e-5; // the HAL's batchNorm default

/**
 * Inference-time folding of conv2d → batchNorm into one conv2d: with s = scale / sqrt(var + eps),
 * weight' = weight · s (per output channel) and bias' = (bias − mean) · s + shift. Applies when the
 * conv's output feeds only the batch norm and the conv weight/bias and all batch-norm parameters
 * are initializers. Computed in float64, stored in the weight's dtype.
 */
export function foldBatchNorm(graph: Graph): Graph {
  const inits = new Map(graph.initializers.map((i) => [i.name, i]));
  const readers = new Map<string, number>();
  const count = (n: string) => n !== "" && readers.set(n, (readers.get(n) ?? 0) + 1);
  graph.nodes.forEach((n) => n.inputs.forEach(count));
  graph.outputs.forEach((o) => count(o.name));
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const fresh = nameAllocator(graph);

  const nodes: (GraphNode | undefined)[] = [...graph.nodes];
  const added: Initializer[] = [];
  graph.nodes.forEach((bn, j) => {
    if (bn.op !== "batchNorm" || bn.inputs.length !== 5) return;
    const [x, ...params] = bn.inputs as [string, string, string, string, string];
    const i = producer.get(x);
    const conv = i === undefined ? undefined : nodes[i];
    if (!conv || conv.op !== "conv2d" || readers.get(x) !== 1) return;
    const [scale, shift, mean, variance] = params.map((p) => inits.get(p));
    const weight = inits.get(conv.inputs[1] ?? "");
    const biasName = conv.inputs[2] ?? "";
    const bias = biasName === "" ? undefined : inits.get(biasName);
    if (!scale || !shift || !mean || !variance || !weight || (biasName !== "" && !bias)) return;
    const channels = weight.shape[0]!;
    if ([scale, shift, mean, variance].some((p) => p.data.length !== channels) || (bias && bias.data.length !== channels)) return;
    const eps = typeof bn.attrs.epsilon === "number" ? bn.attrs.epsilon : DEFAULT_EPSILON;
    const perChannel = weight.data.length / channels;
    const w = new Float32Array(weight.data.length);
    const b = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const s = scale.data[c]! / Math.sqrt(variance.data[c]! + eps);
      for (let k = 0; k < perChannel; k++) w[c * perChannel + k] = weight.data[c * perChannel + k]! * s;
      b[c] = ((bias?.data[c] ?? 0) - mean.data[c]!) * s + shift.data[c]!;
    }
    const dtype: DType = weight.dtype;
    const wName = fresh(`${weight.name}.bnfolded`);
    const biasBase = bias?.name ?? (weight.name.endsWith("weight") ? `${weight.name.slice(0, -6)}bias` : `${weight.name}_bias`);
    const bName = fresh(`${biasBase}.bnfolded`);
    added.push({ name: wName, dtype, shape: weight.shape, data: w }, { name: bName, dtype, shape: [channels], data: b });
    nodes[i!] = { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!] };
    nodes[j] = undefined;
  });
  if (added.length === 0) return graph;
  return deadCodeElimination({ ...graph, nodes: nodes.filter((n): n is GraphNode => !!n), initializers: [...graph.initializers, ...added] });
}
