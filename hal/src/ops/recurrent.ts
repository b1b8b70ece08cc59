/**
 * The recurrent composites (`lstm`, `gru`, `rnn`) with ONNX semantics, opsets 7–22. Unlike the
 * other composites they have several outputs — Y, Y_h (and Y_c) — and are listed apart from
 * COMPOSITES, as the quantised ops are: devices run them through their reference decompositions
 * (the scan unrolled over the static sequence length) unless they register a kernel.
 *
 * Inputs: x, w, r, then the optional inputs named, in order, by attrs.optionalInputs, a
 * comma-separated subset of "bias,sequenceLens,initialH,initialC,peepholes" (LSTM) or
 * "bias,sequenceLens,initialH" (GRU, RNN). Shapes, gate orders and equations are ONNX's.
 */
import { recurrentConfig, recurrentOutputs, type RecurrentOp } from "./recurrent-config.ts";
import { gru } from "./decompositions/gru.ts";
import { lstm } from "./decompositions/lstm.ts";
import { rnn } from "./decompositions/rnn.ts";
import type { Decomposition, OpDef } from "./types.ts";

const COMMON_ATTRS =
  "attrs direction forward|reverse|bidirectional, layout 0|1, hiddenSize?, clip?, activations (comma-separated ONNX names), activationAlpha/activationBeta (one per activation), optionalInputs";

function recurrent(op: RecurrentOp, inputs: [number, number], doc: string, decompose: Decomposition): OpDef {
  return {
    name: op,
    kind: "composite",
    family: "nn",
    inputs,
    doc: `${doc}; ${COMMON_ATTRS}`,
    infer: (ins, attrs) => recurrentOutputs(recurrentConfig(op, ins, attrs)),
    decompose,
  };
}

export const RECURRENT_OPS: readonly OpDef[] = [
  recurrent(
    "lstm",
    [3, 8],
    "ONNX LSTM: x, w[D,4H,I], r[D,4H,H] (gates i,o,f,c), bias?[D,8H], sequenceLens?[B] int32, initialH?, initialC?, peepholes?[D,3H] → Y, Y_h, Y_c; attr inputForget",
    lstm,
  ),
  recurrent(
    "gru",
    [3, 6],
    "ONNX GRU: x, w[D,3H,I], r[D,3H,H] (gates z,r,h), bias?[D,6H], sequenceLens?[B] int32, initialH? → Y, Y_h; attr linearBeforeReset",
    gru,
  ),
  recurrent("rnn", [3, 6], "ONNX RNN: x, w[D,H,I], r[D,H,H], bias?[D,2H], sequenceLens?[B] int32, initialH? → Y, Y_h", rnn),
];
