import { ACTIVATION_PARAMS, RECURRENT_KINDS, recurrentConfig, UnsupportedOpError, type RecurrentOp, type TensorMeta } from "@polychip/hal";
import { AttributeType, type AttributeProto } from "../proto/types.ts";
import type { ExportContext } from "./context.ts";
import type { OpExporter } from "./ops.ts";

/** ONNX's spelling of each recurrent activation (the HAL keeps them lower-cased). */
const ONNX_ACTIVATION: Record<string, string> = {
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  relu: "Relu",
  affine: "Affine",
  leakyrelu: "LeakyRelu",
  thresholdedrelu: "ThresholdedRelu",
  scaledtanh: "ScaledTanh",
  hardsigmoid: "HardSigmoid",
  elu: "Elu",
  softsign: "Softsign",
  softplus: "Softplus",
};
const ONNX_OP: Record<RecurrentOp, string> = { lstm: "LSTM", gru: "GRU", rnn: "RNN" };
/** ONNX input positions of the optional inputs, after X, W, R. */
const POSITION: Record<string, number> = { bias: 3, sequenceLens: 4, initialH: 5, initialC: 6, peepholes: 7 };

const float = (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f });
const int = (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i });

/**
 * The HAL's lstm/gru/rnn back to ONNX LSTM/GRU/RNN (the inverse of the import): optional inputs
 * to their positions, activations with their alpha/beta flattened in ONNX's consuming order.
 */
function recurrent(op: RecurrentOp): OpExporter {
  return (ctx: ExportContext, node) => {
    const metas = node.inputs.map((name) => ctx.info(name));
    if (metas.some((m) => m === undefined)) throw new UnsupportedOpError(`${op}: an input's shape depends on run-time data`);
    const cfg = recurrentConfig(op, metas as TensorMeta[], node.attrs);
    const inputs = [node.inputs[0]!, node.inputs[1]!, node.inputs[2]!];
    for (const [name, index] of Object.entries(cfg.present)) {
      const position = POSITION[name]!;
      while (inputs.length < position) inputs.push("");
      inputs[position] = node.inputs[index]!;
    }
    const acts = cfg.activations.flat();
    const attribute: AttributeProto[] = [
      { name: "direction", type: AttributeType.STRING, s: new TextEncoder().encode(cfg.directions.length === 2 ? "bidirectional" : cfg.directions[0]!) },
      int("hidden_size", cfg.hidden),
      { name: "activations", type: AttributeType.STRINGS, strings: acts.map((a) => new TextEncoder().encode(ONNX_ACTIVATION[a.name]!)) },
      { name: "activation_alpha", type: AttributeType.FLOATS, floats: acts.filter((a) => ACTIVATION_PARAMS[a.name]?.alpha).map((a) => a.alpha) },
      { name: "activation_beta", type: AttributeType.FLOATS, floats: acts.filter((a) => ACTIVATION_PARAMS[a.name]?.beta).map((a) => a.beta) },
    ].filter((a) => !a.floats || a.floats.length > 0);
    if (cfg.layout === 1) attribute.push(int("layout", 1));
    if (cfg.clip !== undefined) attribute.push(float("clip", cfg.clip));
    if (op === "lstm" && node.attrs.inputForget) attribute.push(int("input_forget", 1));
    if (op === "gru") attribute.push(int("linear_before_reset", node.attrs.linearBeforeReset ? 1 : 0));
    const outputs = node.outputs.slice(0, RECURRENT_KINDS[op].outputs);
    ctx.nodes.push({ opType: ONNX_OP[op], input: inputs, output: outputs, attribute, name: ctx.fresh(ctx.current || ONNX_OP[op]) });
  };
}

export const RECURRENT_EXPORTERS: Record<string, OpExporter> = {
  lstm: recurrent("lstm"),
  gru: recurrent("gru"),
  rnn: recurrent("rnn"),
};
