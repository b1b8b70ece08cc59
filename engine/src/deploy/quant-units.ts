import type { Attrs } from "@polychip/hal";
import type { Graph, Initializer, ValueInfo } from "../graph/ir.ts";

/**
 * One layer post-training quantisation turns into a quantised op: a conv2d (its bias inside), a
 * linear layer (matmul by a weight + a bias add), or a bare matmul by a weight — each with the
 * ReLU after it folded in when nothing else reads the value before the ReLU.
 */
export interface QuantUnit {
  readonly kind: "conv" | "linear" | "matmul";
  /** The conv2d or matmul node. */
  readonly head: number;
  /** The nodes the unit replaces: the head, then the bias add and the ReLU it absorbed. */
  readonly nodes: readonly number[];
  /** The float activation the unit reads, and the float value it finally produces. */
  readonly input: string;
  readonly output: string;
  /** The weight as [outputs, ...] (conv: [OC, C/g, KH, KW]; linear/matmul: [N, K], transposed here if the graph stored [K, N]). */
  readonly weight: { readonly name: string; readonly data: Float32Array; readonly shape: readonly number[] };
  readonly bias?: { readonly name: string; readonly data: Float32Array };
  readonly relu: boolean;
  /** The head's attributes (conv windows; matmul transposes are resolved into `weight`). */
  readonly attrs: Attrs;
}

/**
 * The quantisable layers of a float32 graph, in graph order. A layer qualifies when its weight
 * (and bias) are float32 initializers and its activation is float32 of the rank the op needs
 * (NCHW for conv2d, [rows, K] for matmul).
 */
export function findQuantUnits(graph: Graph, types: ReadonlyMap<string, ValueInfo>): QuantUnit[] {
  const inits = new Map(graph.initializers.map((i) => [i.name, i]));
  const readers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => v !== "" && readers.set(v, [...(readers.get(v) ?? []), i])));
  const outputs = new Set(graph.outputs.map((o) => o.name));
  /** The single node reading `value`, when exactly one does and it is not a graph output. */
  const soleReader = (value: string): number | undefined => {
    const r = readers.get(value);
    return r && r.length === 1 && !outputs.has(value) ? r[0] : undefined;
  };
  const floatInit = (name: string | undefined, rank: number): Initializer | undefined => {
    const i = name ? inits.get(name) : undefined;
    return i && i.dtype === "float32" && i.shape.length === rank ? i : undefined;
  };
  const isFloat = (name: string, rank: number) => {
    const t = types.get(name);
    return t?.dtype === "float32" && t.shape.length === rank;
  };

  const units: QuantUnit[] = [];
  graph.nodes.forEach((node, head) => {
    if (node.op === "conv2d") {
      const [x, w, b] = node.inputs;
      const weight = floatInit(w, 4);
      const biasInit = b ? floatInit(b, 1) : undefined;
      if (!x || !weight || (b && !biasInit) || !isFloat(x, 4)) return;
      const nodes = [head];
      let output = node.outputs[0]!;
      const relu = followRelu(graph, soleReader(output));
      if (relu !== undefined) {
        nodes.push(relu);
        output = graph.nodes[relu]!.outputs[0]!;
      }
      units.push({
        kind: "conv",
        head,
        nodes,
        input: x,
        output,
        relu: relu !== undefined,
        attrs: node.attrs,
        weight: { name: weight.name, data: Float32Array.from(weight.data), shape: weight.shape },
        bias: biasInit ? { name: biasInit.name, data: Float32Array.from(biasInit.data) } : undefined,
      });
    } else if (node.op === "matmul" && !node.attrs.transposeA) {
      const [x, w] = node.inputs;
      const weight = floatInit(w, 2);
      if (!x || !weight || !isFloat(x, 2)) return;
      const nodes = [head];
      let output = node.outputs[0]!;
      const outFeatures = node.attrs.transposeB ? weight.shape[0]! : weight.shape[1]!;
      let bias: QuantUnit["bias"];
      const add = soleReader(output);
      const addNode = add === undefined ? undefined : graph.nodes[add];
      if (addNode?.op === "add") {
        const other = addNode.inputs[0] === output ? addNode.inputs[1] : addNode.inputs[0];
        const b = other ? inits.get(other) : undefined;
        if (b && b.dtype === "float32" && b.data.length === outFeatures && b.shape[b.shape.length - 1] === outFeatures && b.shape.length <= 2) {
          bias = { name: b.name, data: Float32Array.from(b.data) };
          nodes.push(add!);
          output = addNode.outputs[0]!;
        }
      }
      const relu = followRelu(graph, soleReader(output));
      if (relu !== undefined) {
        nodes.push(relu);
        output = graph.nodes[relu]!.outputs[0]!;
      }
      units.push({
        kind: bias ? "linear" : "matmul",
        head,
        nodes,
        input: x,
        output,
        relu: relu !== undefined,
        attrs: {},
        weight: rowsPerOutput(weight, Boolean(node.attrs.transposeB)),
        bias,
      });
    }
  });
  return units;
}

function followRelu(graph: Graph, index: number | undefined): number | undefined {
  return index !== undefined && graph.nodes[index]!.op === "relu" ? index : undefined;
}

/** A matmul weight as [N, K] (one row per output feature), whichever way the graph stored it. */
function rowsPerOutput(weight: Initializer, transposed: boolean): QuantUnit["weight"] {
  const [r, c] = weight.shape as [number, number];
  if (transposed) return { name: weight.name, data: Float32Array.from(weight.data), shape: [r, c] };
  const data = new Float32Array(r * c);
  for (let k = 0; k < r; k++) for (let n = 0; n < c; n++) data[n * r + k] = weight.data[k * c + n]!;
  return { name: weight.name, data, shape: [c, r] };
}

/** The float values calibration must observe: every unit's input and output. */
export function observedValues(units: readonly QuantUnit[]): string[] {
  return [...new Set(units.flatMap((u) => [u.input, u.output]))];
}
