import { encodeModel } from "../../proto/codec.ts";
import { AttributeType, type AttributeProto } from "../../proto/types.ts";
import { initializer, modelProto } from "../../testing/model-builder.ts";

/**
 * Small LSTM/GRU/RNN models covering ONNX's options, written with the package's own encoder, and
 * their inputs: the recurrent import tests run each through Polychip and onnxruntime-node.
 */

export type RecurrentOnnxOp = "LSTM" | "GRU" | "RNN";

export interface RecurrentCase {
  readonly name: string;
  readonly op: RecurrentOnnxOp;
  readonly opset?: number;
  readonly seq: number;
  readonly batch: number;
  readonly input: number;
  readonly hidden: number;
  readonly direction?: "forward" | "reverse" | "bidirectional";
  readonly layout?: 0 | 1;
  /** Which optional inputs the node gets. */
  readonly bias?: boolean;
  readonly sequenceLens?: number[];
  readonly initialH?: boolean;
  readonly initialC?: boolean;
  readonly peepholes?: boolean;
  readonly clip?: number;
  readonly inputForget?: boolean;
  readonly linearBeforeReset?: boolean;
  readonly activations?: string[];
  readonly alpha?: number[];
  readonly beta?: number[];
  /** X declared with symbolic seq and batch dims. */
  readonly symbolicDims?: boolean;
  /** X is an initializer: the whole op folds at import. */
  readonly constantInput?: boolean;
  /** Which outputs the node declares (default all). */
  readonly outputs?: readonly boolean[];
}

const GATES: Record<RecurrentOnnxOp, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const OUTPUTS: Record<RecurrentOnnxOp, string[]> = { LSTM: ["Y", "Y_h", "Y_c"], GRU: ["Y", "Y_h"], RNN: ["Y", "Y_h"] };

/** Deterministic values in about [-scale, scale]. */
export function wave(n: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => scale * Math.sin(seed * 12.9898 + i * 1.618));
}

export interface BuiltCase {
  readonly bytes: Uint8Array;
  readonly feeds: Record<string, { data: Float32Array | Int32Array; shape: number[]; dtype: "float32" | "int32" }>;
  readonly outputs: string[];
}

export function buildRecurrentCase(c: RecurrentCase): BuiltCase {
  const d = c.direction === "bidirectional" ? 2 : 1;
  const g = GATES[c.op] * c.hidden;
  const layout = c.layout ?? 0;
  const x = layout === 0 ? [c.seq, c.batch, c.input] : [c.batch, c.seq, c.input];
  const state = layout === 0 ? [d, c.batch, c.hidden] : [c.batch, d, c.hidden];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const weight = (name: string, shape: number[], seed: number) => initializer(name, Array.from(wave(size(shape), seed, 0.6)), shape);
  const feeds: BuiltCase["feeds"] = {};
  const initializers = [weight("W", [d, g, c.input], 2), weight("R", [d, g, c.hidden], 3)];
  const inputs = ["X", "W", "R", "", "", "", "", ""];
  const graphInputs: { name: string; type: "float32" | "int32"; shape: (number | string)[] }[] = [];
  const xData = wave(size(x), 1, 1.5);
  if (c.constantInput) initializers.push(initializer("X", Array.from(xData), x));
  else {
    graphInputs.push({ name: "X", type: "float32", shape: c.symbolicDims ? (layout === 0 ? ["seq", "batch", c.input] : ["batch", "seq", c.input]) : x });
    feeds.X = { data: xData, shape: x, dtype: "float32" };
  }
  if (c.bias) initializers.push(weight("B", [d, 2 * g], 4)), (inputs[3] = "B");
  if (c.sequenceLens) {
    inputs[4] = "L";
    graphInputs.push({ name: "L", type: "int32", shape: [c.symbolicDims ? "batch" : c.batch] });
    feeds.L = { data: Int32Array.from(c.sequenceLens), shape: [c.batch], dtype: "int32" };
  }
  const stateInput = (name: string, index: number, seed: number) => {
    inputs[index] = name;
    const declared = c.symbolicDims ? state.map((dim, i) => (i === (layout === 0 ? 1 : 0) ? "batch" : dim)) : state;
    graphInputs.push({ name, type: "float32", shape: declared });
    feeds[name] = { data: wave(size(state), seed), shape: state, dtype: "float32" };
  };
  if (c.initialH) stateInput("H0", 5, 5);
  if (c.initialC) stateInput("C0", 6, 6);
  if (c.peepholes) initializers.push(weight("P", [d, 3 * c.hidden], 7)), (inputs[7] = "P");
  while (inputs.length && inputs[inputs.length - 1] === "") inputs.pop();
  const declared = OUTPUTS[c.op].map((name, i) => ((c.outputs?.[i] ?? true) ? name : ""));
  const attrs: Record<string, number | string | { float: number }> = { hidden_size: c.hidden };
  if (c.direction) attrs.direction = c.direction;
  if (c.layout !== undefined) attrs.layout = c.layout;
  if (c.clip !== undefined) attrs.clip = { float: c.clip };
  if (c.inputForget) attrs.input_forget = 1;
  if (c.linearBeforeReset) attrs.linear_before_reset = 1;
  const model = modelProto({
    opset: c.opset ?? (c.layout ? 14 : 7),
    inputs: graphInputs,
    outputs: declared.filter((o) => o).map((name) => ({ name, type: "float32" })),
    nodes: [{ op: c.op, inputs, outputs: declared, attrs }],
    initializers,
  });
  const extra: AttributeProto[] = [];
  if (c.activations) extra.push({ name: "activations", type: AttributeType.STRINGS, strings: c.activations.map((s) => new TextEncoder().encode(s)) });
  if (c.alpha) extra.push({ name: "activation_alpha", type: AttributeType.FLOATS, floats: c.alpha });
  if (c.beta) extra.push({ name: "activation_beta", type: AttributeType.FLOATS, floats: c.beta });
  const node = model.graph!.node![0]!;
  (node as { attribute: AttributeProto[] }).attribute = [...(node.attribute ?? []), ...extra];
  return { bytes: encodeModel(model), feeds, outputs: declared.filter((o) => o) };
}
