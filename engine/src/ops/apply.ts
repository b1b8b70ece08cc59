import { contiguousStrides, expandView, permuteView, reshapeStrides, sliceView, type Attrs } from "@polychip/hal";
import { runOp, shareView } from "../core/dispatch.ts";
import { profiler } from "../core/profiler.ts";
import type { RawView } from "../core/view.ts";
import { noGrad } from "../tape/grad-mode.ts";
import { recordGradient } from "../tape/node.ts";
import { traceOp } from "../tape/trace-hook.ts";
import { Tensor } from "../tensor.ts";
import "./methods.ts";

/**
 * The one path every engine op takes: run the op (a HAL kernel through the dispatcher, or a view
 * of the input's memory for the view ops), report it to a running trace, and record it for
 * autograd. Gradients are looked up by `op` in autograd/gradients.ts at backward time.
 */
export function apply(op: string, inputs: readonly Tensor[], attrs: Attrs = {}, device?: string): Tensor {
  // While profiling, each op that runs kernels is a range around them (view ops launch none).
  if (!profiler.recording || op in VIEW_OPS) return applyOp(op, inputs, attrs, device);
  const end = profiler.beginRange(op, "op");
  try {
    return applyOp(op, inputs, attrs, device);
  } finally {
    end();
  }
}

function applyOp(op: string, inputs: readonly Tensor[], attrs: Attrs, device?: string): Tensor {
  const view = VIEW_OPS[op];
  const out = new Tensor(
    view
      ? view(inputs[0]!.view, attrs)
      : runOp(
          op,
          inputs.map((t) => t.view),
          attrs,
          device,
        )[0]!,
  );
  traceOp(op, inputs, attrs, out);
  return recordGradient(op, out, inputs, attrs);
}

/**
 * An engine-level op built from other ops (clamp, a device transfer): `forward` runs without
 * recording (its inner HAL ops are still traced), and the result is recorded as one `op` whose
 * gradient rule lives in the table like any other.
 */
export function applyComposite(op: string, inputs: readonly Tensor[], attrs: Attrs, forward: () => Tensor): Tensor {
  return recordGradient(op, noGrad(forward), inputs, attrs);
}

type ViewOp = (x: RawView, attrs: Attrs) => RawView;
const list = (attrs: Attrs, name: string) => attrs[name] as number[];

/** Ops that make a new view of the same memory; only a reshape the strides cannot express copies. */
const VIEW_OPS: Readonly<Record<string, ViewOp>> = {
  identity: (x) => shareView(x, x),
  reshape: (x, attrs) => {
    const shape = list(attrs, "shape");
    const strides = reshapeStrides(x, shape);
    if (strides) return shareView(x, { shape, strides, offset: x.offset });
    const copy = runOp("copy", [x])[0]!;
    const out = shareView(copy, { shape, strides: contiguousStrides(shape), offset: copy.offset });
    copy.storage.release();
    return out;
  },
  permute: (x, attrs) => shareView(x, permuteView("permute", x, list(attrs, "dims"))),
  slice: (x, attrs) =>
    shareView(x, sliceView("slice", x, list(attrs, "axes")[0]!, list(attrs, "starts")[0]!, list(attrs, "ends")[0]!, list(attrs, "steps")[0]!)),
  expand: (x, attrs) => shareView(x, expandView("expand", x, list(attrs, "shape"))),
};
