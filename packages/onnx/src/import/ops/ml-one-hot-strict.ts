import { UnsupportedOpError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { lowerThroughHost } from "../host-step.ts";
import { bin, output } from "./helpers.ts";

/**
 * OneHotEncoder with zeros=0, where a value that is no category must stop the run (as onnxruntime
 * does). A device cannot stop a run with a message of its own, so the values are read on the host
 * (host-step.ts: at import when X is known, else per run under OnnxSession, planned per X shape):
 * the host names the node and the value, and hands the device each value's category slot, which
 * the device turns into the one-hot rows. `fallback` lowers the node where no host step can run
 * (a plain import of a run-time X): there the device's gather of slot -1 refuses the value.
 */
export function strictOneHotEncoder(ctx: ImportContext, node: OnnxNode, x: string, cats: readonly number[], fallback: () => void): void {
  const known = ctx.constant(x) !== undefined;
  if (!known && !ctx.runsHostStepOn([x])) return fallback();
  lowerThroughHost(ctx, node, {
    reads: [x],
    why: "OneHotEncoder with zeros=0 (a value that is no category stops the run)",
    results: 1,
    compute: slotsOf(cats, ctx.where()),
    lower: ([slots]) => {
      const rank = ctx.rank(slots!);
      const all = ctx.const(
        Int32Array.from(cats, (_, i) => i),
        [cats.length],
        "int32",
      );
      ctx.op("cast", [bin(ctx, "equal", ctx.op("unsqueeze", [slots!], { axes: [rank] }), all)], { to: "float32" }, output(node));
    },
  });
}

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function slotsOf(cats: readonly number[], where: string) {
  // A category listed twice takes onnxruntime's last slot.
  const slot = new Map(cats.map((c, i) => [c, i]));
  return ([x]: readonly (HostTensor | undefined)[]): HostTensor[] => {
    const values = x!.data as ArrayLike<number>;
    const slots = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      // Floats are truncated toward zero, as onnxruntime casts them to int64.
      const at = slot.get(Math.trunc(values[i]!));
      if (at === undefined)
        throw new UnsupportedOpError(
          `${where}: X[${indexOf(i, x!.shape)}] is ${values[i]}, which is not one of cats_int64s [${cats.join(", ")}], and zeros is 0 (an unknown category is an error)`,
        );
      slots[i] = at;
    }
    return [{ dtype: "int32", shape: [...x!.shape], data: slots }];
  };
}

/** Flat index `i` as the coordinates of `shape`, for messages. */
function indexOf(i: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(i % shape[d]!);
    i = Math.floor(i / shape[d]!);
  }
  return at.join(", ");
}
