import type { Attrs } from "../../device.ts";
import type { DecompositionContext } from "../types.ts";
import { activate, clipped, scan, type CellSpec } from "./recurrent.ts";

/** ONNX RNN: h' = f(x·Wᵀ + h·Rᵀ + Wb + Rb), the clip applied before f. */
function rnnCell<V>(): CellSpec<V> {
  return {
    inputBias: (ctx, wb, rb) => ctx.call("add", [wb, rb]),
    step(ctx, k, cfg, dir, xw, state) {
      const pre = ctx.call("add", [xw(0, cfg.hidden), ctx.call("matmul", [state.h, dir.r], { transposeB: true })]);
      return { h: activate(ctx, k, dir.activations[0]!, clipped(ctx, k, cfg, pre)) };
    },
  };
}

export function rnn<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  return scan("rnn", rnnCell<V>(), ctx, inputs, attrs);
}
