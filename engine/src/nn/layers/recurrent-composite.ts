import { runOp } from "../../core/dispatch.ts";
import { cat, stack } from "../../ops/indexing.ts";
import { Tensor } from "../../tensor.ts";
import type { CellKind, CellWeights } from "./recurrent-cells.ts";

/**
 * Inference through the HAL's recurrent composites: one `lstm`/`gru`/`rnn` op per layer, both
 * directions at once, which a device may run natively (else its reference decomposition runs).
 * PyTorch's gate orders become ONNX's (LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h) and PyTorch's
 * GRU is ONNX's with linearBeforeReset.
 */

const HAL_OP: Readonly<Record<CellKind, string>> = { lstm: "lstm", gru: "gru", rnnTanh: "rnn", rnnRelu: "rnn" };
const ONNX_GATE_ORDER: Readonly<Record<CellKind, readonly number[]>> = { lstm: [0, 3, 1, 2], gru: [1, 0, 2], rnnTanh: [0], rnnRelu: [0] };

function reorderGates(kind: CellKind, t: Tensor, hidden: number): Tensor {
  const order = ONNX_GATE_ORDER[kind];
  return order.length === 1
    ? t
    : cat(
        order.map((g) => t.slice(0, g * hidden, (g + 1) * hidden)),
        0,
      );
}

/** The weights of one layer's directions as the composite's w, r and bias inputs. */
export function onnxWeights(kind: CellKind, directions: readonly CellWeights[]): { w: Tensor; r: Tensor; bias: Tensor | undefined } {
  const hidden = directions[0]!.weightHh.shape[1]!;
  const each = (pick: (w: CellWeights) => Tensor) =>
    stack(
      directions.map((w) => reorderGates(kind, pick(w), hidden)),
      0,
    );
  const hasBias = directions[0]!.biasIh !== undefined;
  return {
    w: each((w) => w.weightIh),
    r: each((w) => w.weightHh),
    bias: hasBias
      ? stack(
          directions.map((w) => cat([reorderGates(kind, w.biasIh!, hidden), reorderGates(kind, w.biasHh!, hidden)], 0)),
          0,
        )
      : undefined,
  };
}

/**
 * One layer on x [T, B, I] with optional initial states [D, B, H]: output [T, B, D·H] and each
 * direction's final h (and c) as [B, H].
 */
export function compositeLayer(
  kind: CellKind,
  directions: readonly CellWeights[],
  x: Tensor,
  h0: Tensor | undefined,
  c0: Tensor | undefined,
): { output: Tensor; h: Tensor[]; c: Tensor[] } {
  const { w, r, bias } = onnxWeights(kind, directions);
  const optional: [string, Tensor | undefined][] = [
    ["bias", bias],
    ["initialH", h0],
    ["initialC", kind === "lstm" ? c0 : undefined],
  ];
  const present = optional.filter(([, t]) => t !== undefined) as [string, Tensor][];
  const attrs = {
    direction: directions.length === 2 ? "bidirectional" : "forward",
    optionalInputs: present.map(([name]) => name).join(","),
    ...(kind === "rnnRelu" ? { activations: "relu" } : {}),
    ...(kind === "gru" ? { linearBeforeReset: true } : {}),
  };
  const inputs = [x, w, r, ...present.map(([, t]) => t)];
  const [y, yh, yc] = runOp(
    HAL_OP[kind],
    inputs.map((t) => t.view),
    attrs,
  ).map((v) => new Tensor(v));
  const [steps, d, batch, hidden] = y!.shape as [number, number, number, number];
  const perDirection = (s: Tensor | undefined) => (s ? Array.from({ length: d }, (_, i) => s.slice(0, i, i + 1).reshape([batch, hidden])) : []);
  return { output: y!.permute([0, 2, 1, 3]).reshape([steps, batch, d * hidden]), h: perDirection(yh), c: perDirection(yc) };
}
