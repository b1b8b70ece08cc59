import { ACTIVATION_DEFAULTS, ACTIVATION_PARAMS, FormatError, ShapeError, RECURRENT_KINDS, type Attrs, type RecurrentOp } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { castTo, input, optionalInput, output, type OpImporter } from "./helpers.ts";

/** ONNX's optional inputs of the recurrent ops by position (3 onwards), under the HAL's names. */
const OPTIONAL_INPUTS = ["bias", "sequenceLens", "initialH", "initialC", "peepholes"] as const;

/**
 * ONNX gives activation_alpha/activation_beta as flat lists consumed, in order, by the
 * activations that take a parameter; the HAL wants one resolved value per activation. A list
 * that runs out leaves the remaining activations at their defaults.
 */
function resolveActivations(ctx: ImportContext, node: OnnxNode): Attrs {
  const names = node.attrs.strings("activations");
  if (!names || names.length === 0) return {};
  const alphas = [...node.attrs.floats("activation_alpha", [])];
  const betas = [...node.attrs.floats("activation_beta", [])];
  const alpha: number[] = [];
  const beta: number[] = [];
  for (const name of names) {
    const key = name.toLowerCase();
    const defaults = ACTIVATION_DEFAULTS[key];
    if (!defaults) throw new ShapeError(`${ctx.where()}: unknown activation '${name}' (known: ${Object.keys(ACTIVATION_DEFAULTS).join(", ")})`);
    const takes = ACTIVATION_PARAMS[key];
    alpha.push(takes?.alpha && alphas.length ? alphas.shift()! : defaults.alpha);
    beta.push(takes?.beta && betas.length ? betas.shift()! : defaults.beta);
  }
  if (alphas.length || betas.length)
    throw new FormatError(`${ctx.where()}: activation_alpha/activation_beta hold more values than activations [${names.join(", ")}] take`);
  return { activations: names.join(","), activationAlpha: alpha, activationBeta: beta };
}

function recurrent(op: RecurrentOp): OpImporter {
  const kind = RECURRENT_KINDS[op];
  return (ctx, node) => {
    // Opsets 1–6 add output_sequence, which only says whether Y may be left out: nothing to lower.
    const inputs = [0, 1, 2].map((i) => input(ctx, node, i));
    const present: string[] = [];
    OPTIONAL_INPUTS.forEach((name, k) => {
      const value = optionalInput(node, 3 + k);
      if (!value) return;
      if (!kind.optionalInputs.includes(name)) throw new FormatError(`${ctx.where()}: ${node.opType} has no input #${3 + k}`);
      present.push(name);
      inputs.push(name === "sequenceLens" ? castTo(ctx, value, "int32") : value);
    });
    const direction = node.attrs.string("direction", "forward");
    const clip = node.attrs.float("clip");
    const hiddenSize = node.attrs.int("hidden_size");
    const attrs: Attrs = {
      direction,
      layout: node.attrs.int("layout", 0),
      optionalInputs: present.join(","),
      ...(hiddenSize !== undefined ? { hiddenSize } : {}),
      ...(clip !== undefined ? { clip } : {}),
      ...resolveActivations(ctx, node),
      ...(op === "lstm" ? { inputForget: node.attrs.int("input_forget", 0) !== 0 } : {}),
      ...(op === "gru" ? { linearBeforeReset: node.attrs.int("linear_before_reset", 0) !== 0 } : {}),
    };
    // The HAL op always makes every output; the ones the model leaves out get fresh names.
    ctx.opN(
      op,
      inputs,
      attrs,
      Array.from({ length: kind.outputs }, (_, i) => output(node, i)),
    );
  };
}

export const RECURRENT_IMPORTERS: Record<string, OpImporter> = {
  LSTM: recurrent("lstm"),
  GRU: recurrent("gru"),
  RNN: recurrent("rnn"),
};
