import type { Attrs } from "../../device.ts";
import { boolAttr } from "../attrs.ts";
import type { Activation } from "../recurrent-config.ts";
import type { DecompositionContext } from "../types.ts";
import { filled } from "./helpers.ts";
import { activate, clipped, gate, part, scan, type CellSpec } from "./recurrent.ts";

/**
 * ONNX GRU, gates stacked z, r, h:
 *   z = f(x·Wzᵀ + h·Rzᵀ + b)   r = f(x·Wrᵀ + h·Rrᵀ + b)
 *   ĥ = g(x·Whᵀ + (r⊙h)·Rhᵀ + Rbh + Wbh)          (linearBeforeReset false)
 *   ĥ = g(x·Whᵀ + r⊙(h·Rhᵀ + Rbh) + Wbh)          (linearBeforeReset true, PyTorch's form)
 *   h' = (1 − z)⊙ĥ + z⊙h
 */
function gruCell<V>(attrs: Attrs): CellSpec<V> {
  const linearBeforeReset = boolAttr(attrs, "linearBeforeReset");
  return {
    inputBias(ctx, wb, rb) {
      if (!linearBeforeReset) return ctx.call("add", [wb, rb]);
      // Rbh is applied inside r⊙(…): only Rbz and Rbr join the input bias.
      const { shape, dtype } = ctx.meta(wb);
      const hidden = shape[0]! / 3;
      const zr = filled(ctx, shape, dtype, 0);
      ctx.copyInto(zr, { shape: [2 * hidden], strides: [1], offset: 0 }, part(ctx, rb, 0, 2 * hidden));
      return ctx.call("add", [wb, zr]);
    },
    step(ctx, k, cfg, dir, xw, state) {
      const H = cfg.hidden;
      const call = (op: string, ...ins: V[]) => ctx.call(op, ins);
      const [f, g] = dir.activations as [Activation, Activation];
      const rzr = part(ctx, dir.r, 0, 2 * H * H, [2 * H, H]);
      const rh = part(ctx, dir.r, 2, H * H, [H, H]);
      const hzr = ctx.call("matmul", [state.h, rzr], { transposeB: true });
      const z = activate(ctx, k, f, clipped(ctx, k, cfg, call("add", xw(0, H), gate(ctx, hzr, 0, 2, cfg))));
      const r = activate(ctx, k, f, clipped(ctx, k, cfg, call("add", xw(H, H), gate(ctx, hzr, 1, 2, cfg))));
      let recurrent: V;
      if (linearBeforeReset) {
        const hh = ctx.call("matmul", [state.h, rh], { transposeB: true });
        recurrent = call("mul", r, dir.rb ? call("add", hh, part(ctx, dir.rb, 2, H)) : hh);
      } else {
        recurrent = ctx.call("matmul", [call("mul", r, state.h), rh], { transposeB: true });
      }
      const candidate = activate(ctx, k, g, clipped(ctx, k, cfg, call("add", xw(2 * H, H), recurrent)));
      return { h: call("add", call("mul", call("sub", k.get(1), z), candidate), call("mul", z, state.h)) };
    },
  };
}

export function gru<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  return scan("gru", gruCell<V>(attrs), ctx, inputs, attrs);
}
