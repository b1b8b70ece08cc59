import { PolychipError, type DType } from "@polychip/hal";
import { inferShapes } from "../graph/infer-shapes.ts";
import { nameAllocator, type Graph, type GraphNode, type Initializer } from "../graph/ir.ts";
import { deadCodeElimination } from "../graph/passes/dead-code.ts";
import type { Calibration } from "./calibrate.ts";
import { activationParams, quantizeBias, quantizeWeightsPerChannel, type ActivationParams } from "./quant-params.ts";
import { findQuantUnits, type QuantUnit } from "./quant-units.ts";

/** A value's quantised twin: its uint8 name (made on first use) and the scale / zero-point initializers it shares. */
interface Twin {
  readonly params: ActivationParams;
  readonly scale: string;
  readonly zero: string;
  readonly name: () => string;
}

/** Ops that pass a quantised value through exactly with the same scale and zero point. */
const VIEW_OPS = new Set(["reshape", "flatten", "squeeze", "unsqueeze", "identity"]);

function once(make: () => string): () => string {
  let name: string | undefined;
  return () => (name ??= make());
}

/**
 * Post-training int8 quantisation of a float32 graph, given its calibration:
 * - conv2d (+bias) → quantizedConv2d with int32 bias and ReLU fused (`activation: "relu"`);
 * - linear (matmul by a weight + bias add) → a 1×1 quantizedConv2d between two reshapes, because
 *   quantizedMatmul (ONNX QLinearMatMul) has no bias input and adding the bias in float would put
 *   a dequantize → quantize pair between every two linear layers;
 * - a bare matmul by a weight → quantizedMatmul (a ReLU after it folds into its output range);
 * - weights int8 symmetric per output channel, activations uint8 asymmetric per tensor
 *   (see quant-params.ts for why).
 * quantizeLinear / dequantizeLinear appear only at the borders of quantised regions: a quantised
 * layer hands its uint8 output straight to the next one, through reshapes (same bytes) and
 * max-pools (dequantize → maxPool2d → quantize with the *same* scale and zero point: exact, since
 * quantisation is monotonic — a claiming NPU runs it as an integer max-pool). Float values keep
 * their names, so graph outputs stay float32 under their own names.
 */
export function quantizeGraph(graph: Graph, calibration: Calibration): Graph {
  const units = findQuantUnits(graph, inferShapes(graph));
  const unitAt = new Map(units.map((u) => [u.head, u]));
  const absorbed = new Set(units.flatMap((u) => u.nodes.slice(1)));
  const nodes: GraphNode[] = [];
  const added: Initializer[] = [];
  const fresh = nameAllocator(graph);
  const constant = (base: string, dtype: DType, shape: number[], data: Initializer["data"]) => {
    const name = fresh(base);
    added.push({ name, dtype, shape, data });
    return name;
  };
  const emit = (op: string, inputs: string[], output: string, attrs: GraphNode["attrs"] = {}) => nodes.push({ op, inputs, outputs: [output], attrs });

  const twins = new Map<string, Twin>();
  /** Float values whose producing node(s) are emitted only when something reads them in float. */
  const pending = new Map<string, () => void>();
  const float = (value: string) => {
    const make = pending.get(value);
    if (make) {
      pending.delete(value);
      make();
    }
    return value;
  };
  const range = (value: string) => {
    const r = calibration.ranges.get(value);
    if (!r) throw new PolychipError(`quantize '${graph.name}': no calibration range for %${value}; calibrate this graph before quantising it`);
    return r;
  };
  const newTwin = (value: string, params: ActivationParams, name: () => string): Twin => ({
    params,
    scale: constant(`${value}_scale`, "float32", [], Float32Array.of(params.scale)),
    zero: constant(`${value}_zero`, "uint8", [], Uint8Array.of(params.zeroPoint)),
    name,
  });
  /** The uint8 twin of a value: the one it has, or a quantizeLinear of it with its calibrated range. */
  const quantized = (value: string): Twin => {
    let twin = twins.get(value);
    if (!twin) {
      const params = activationParams(range(value));
      const q = fresh(`${value}_q`);
      twin = newTwin(value, params, () => q);
      emit("quantizeLinear", [float(value), twin.scale, twin.zero], q);
      twins.set(value, twin);
    }
    return twin;
  };

  const emitUnit = (u: QuantUnit) => {
    const x = quantized(u.input);
    const y = newTwin(u.output, activationParams(range(u.output)), () => qy);
    const outFeatures = u.weight.shape[0]!;
    const { values, scales } = quantizeWeightsPerChannel(u.weight.data, u.weight.shape);
    const weightShape = u.kind === "linear" ? [...u.weight.shape, 1, 1] : [...u.weight.shape];
    const wq = constant(`${u.weight.name}_q`, "int8", weightShape, values);
    const ws = constant(`${u.weight.name}_scale`, "float32", [outFeatures], scales);
    const wz = constant(`${u.weight.name}_zero`, "int8", [outFeatures], new Int8Array(outFeatures));
    const bias = u.bias ? [constant(`${u.bias.name}_q`, "int32", [outFeatures], quantizeBias(u.bias.data, x.params.scale, scales))] : [];
    const qy = fresh(`${u.output}_q`);
    const args = (input: string) => [input, x.scale, x.zero, wq, ws, wz, y.scale, y.zero, ...bias];
    const activation: GraphNode["attrs"] = u.relu ? { activation: "relu" } : {};
    if (u.kind === "conv") emit("quantizedConv2d", args(x.name()), qy, { ...u.attrs, ...activation });
    else if (u.kind === "linear") {
      const image = fresh(`${u.input}_q_as_image`);
      const conv = fresh(`${u.output}_q_image`);
      emit("reshape", [x.name()], image, { shape: [0, u.weight.shape[1]!, 1, 1] });
      emit("quantizedConv2d", args(image), conv, activation);
      emit("reshape", [conv], qy, { shape: [0, outFeatures] });
    } else emit("quantizedMatmul", args(x.name()), qy, { transposeB: true });
    twins.set(u.output, y);
    pending.set(u.output, () => emit("dequantizeLinear", [qy, y.scale, y.zero], u.output));
  };

  graph.nodes.forEach((node, i) => {
    if (absorbed.has(i)) return;
    const unit = unitAt.get(i);
    if (unit) return emitUnit(unit);
    const source = twins.get(node.inputs[0] ?? "");
    const out = node.outputs[0]!;
    const asFloat = () => nodes.push({ ...node, inputs: node.inputs.map((v) => (v === "" ? v : float(v))) });
    if (source && node.outputs.length === 1 && VIEW_OPS.has(node.op)) {
      pending.set(out, asFloat);
      twins.set(out, {
        ...source,
        name: once(() => {
          const q = fresh(`${out}_q`);
          nodes.push({ ...node, inputs: [source.name(), ...node.inputs.slice(1).map((v) => (v === "" ? v : float(v)))], outputs: [q] });
          return q;
        }),
      });
    } else if (source && node.op === "maxPool2d") {
      pending.set(out, asFloat);
      twins.set(out, {
        ...source,
        name: once(() => {
          const q = fresh(`${out}_q`);
          emit("quantizeLinear", [float(out), source.scale, source.zero], q);
          return q;
        }),
      });
    } else asFloat();
  });
  for (const o of graph.outputs) float(o.name);

  const description = `${calibration.observer}${calibration.percentile ? ` ${calibration.percentile}%` : ""} over ${calibration.samples} samples`;
  const result = deadCodeElimination({
    ...graph,
    nodes,
    initializers: [...graph.initializers, ...added],
    metadata: {
      ...graph.metadata,
      precision: "int8",
      quantization: "activations uint8 asymmetric per tensor, weights int8 symmetric per channel",
      calibration: description,
    },
  });
  inferShapes(result); // a pass must leave a graph that still checks
  return result;
}
