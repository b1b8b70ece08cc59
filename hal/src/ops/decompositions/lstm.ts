import type { Attrs } from "../../device.ts";
import { boolAttr } from "../attrs.ts";
import type { Activation } from "../recurrent-config.ts";
import type { DecompositionContext } from "../types.ts";
import { activate, clipped, gate, part, scan, type CellSpec } from "./recurrent.ts";

/**
 * ONNX LSTM, gates stacked i, o, f, c; peepholes P = [Pi, Po, Pf]:
 *   i = f(x·Wiᵀ + h·Riᵀ + Pi⊙c + b)   f = f(… Pf⊙c …)  (or 1 − i with inputForget)
 *   ĉ = g(x·Wcᵀ + h·Rcᵀ + b)   c' = f⊙c + i⊙ĉ   o = f(… + Po⊙c' …)   h' = o⊙h(c')
 * with the clip applied to every pre-activation.
 */
function lstmCell<V>(attrs: Attrs): CellSpec<V> {
  const inputForget = boolAttr(attrs, "inputForget");
  return {
    inputBias: (ctx, wb, rb) => ctx.call("add", [wb, rb]),
    step(ctx, k, cfg, dir, xw, state) {
      const H = cfg.hidden;
      const call = (op: string, ...ins: V[]) => ctx.call(op, ins);
      const [f, g, h] = dir.activations as [Activation, Activation, Activation];
      const gates = call("add", xw(0, 4 * H), ctx.call("matmul", [state.h, dir.r], { transposeB: true }));
      const pre = (i: number, peephole?: { index: number; c: V }) => {
        const raw = gate(ctx, gates, i, 4, cfg);
        const withPeephole = dir.p && peephole ? call("add", raw, call("mul", part(ctx, dir.p, peephole.index, H), peephole.c)) : raw;
        return clipped(ctx, k, cfg, withPeephole);
      };
      const c = state.c!;
      const input = activate(ctx, k, f, pre(0, { index: 0, c }));
      const forget = inputForget ? call("sub", k.get(1), input) : activate(ctx, k, f, pre(2, { index: 2, c }));
      const candidate = activate(ctx, k, g, pre(3));
      const cell = call("add", call("mul", forget, c), call("mul", input, candidate));
      const output = activate(ctx, k, f, pre(1, { index: 1, c: cell }));
      return { h: call("mul", output, activate(ctx, k, h, cell)), c: cell };
    },
  };
}

export function lstm<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  return scan("lstm", lstmCell<V>(attrs), ctx, inputs, attrs);
}
