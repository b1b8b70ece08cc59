import type { Attrs } from "../../device.ts";
import { shapesEqual, type Shape } from "../../shape.ts";
import { fusedOutputShape, parseFusedProgram } from "../fused-program.ts";
import type { DecompositionContext } from "../types.ts";
import { expandTo } from "./helpers.ts";

/**
 * The unfused ops, one `call` per step in program order (a const is a scalar constant), so each
 * intermediate is stored in its dtype exactly as eager execution stores it. Every output is a
 * fresh value of the full output shape: an input or a smaller intermediate is broadcast by a copy.
 */
export function fused<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const { steps, outputs } = parseFusedProgram(attrs, inputs.length);
  const shape = fusedOutputShape(inputs.map((v) => ctx.meta(v)));
  const values: V[] = [...inputs];
  for (const step of steps) {
    if (step.op === "const") values.push(ctx.constant([step.value!], [], step.to ?? "float32"));
    else
      values.push(
        ctx.call(
          step.op,
          step.args.map((a) => values[a]!),
          step.op === "cast" ? { to: step.to! } : {},
        ),
      );
  }
  const returned = new Set<number>();
  return outputs.map((index) => {
    const v = values[index]!;
    const fresh = index >= inputs.length && !returned.has(index);
    returned.add(index);
    if (fresh && shapesEqual(ctx.meta(v).shape, shape)) return v;
    return broadcastCopy(ctx, v, shape);
  });
}

/** A new contiguous value holding `v` broadcast to `shape` (`v` may be any view). */
function broadcastCopy<V>(ctx: DecompositionContext<V>, v: V, shape: Shape): V {
  const own = ctx.meta(v).shape;
  if (shapesEqual(own, shape)) return ctx.call("copy", [v]);
  return expandTo(ctx, ctx.reshape(v, own), shape);
}
