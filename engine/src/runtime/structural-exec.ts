import { contiguousStrides, planStructural, type StructuralOp, type StructuralPlan } from "@polychip/hal";
import { fromHost, runOp, shareView } from "../core/dispatch.ts";
import type { RawView } from "../core/view.ts";
import type { Attrs } from "@polychip/hal";

export interface StructuralResult {
  readonly view: RawView;
  /** Host copy of small int results (shape, size, constant), so later shape reads need no device round trip. */
  readonly hostValues?: readonly number[];
}

/** Runs one structural node on device views: views share memory; only flips and non-viewable reshapes copy. */
export function runStructural(
  op: StructuralOp,
  x: RawView | undefined,
  extra: readonly (readonly number[] | undefined)[],
  attrs: Attrs,
  outputCount: number,
  device: string,
): StructuralResult[] {
  return applyStructural(planStructural(op, { x, extra, attrs, outputCount }), x, x?.offset ?? 0, device);
}

/**
 * Applies plans made for an input at offset `plannedOffset` to `x`, which may sit elsewhere in
 * its storage (a new run's intermediate): a view keeps its place relative to x.
 */
export function applyStructural(plans: readonly StructuralPlan[], x: RawView | undefined, plannedOffset: number, device: string): StructuralResult[] {
  const shift = x ? x.offset - plannedOffset : 0;
  return plans.map((plan) =>
    shift !== 0 && plan.kind === "view"
      ? apply({ ...plan, change: { ...plan.change, offset: plan.change.offset + shift } }, x, device)
      : apply(plan, x, device),
  );
}

function apply(plan: StructuralPlan, x: RawView | undefined, device: string): StructuralResult {
  switch (plan.kind) {
    case "value":
      return { view: fromHost(plan.values, plan.shape, plan.dtype, device), hostValues: plan.values };
    case "copy-reshape": {
      const copy = runOp("copy", [x!])[0]!;
      const view = shareView(copy, { shape: plan.shape, strides: contiguousStrides(plan.shape), offset: copy.offset });
      copy.storage.release();
      return { view };
    }
    case "view": {
      let view = shareView(x!, plan.change);
      // HAL views have no negative strides: a reversed axis is materialised by a gather of flipped indices.
      for (const axis of plan.reverseAxes ?? []) {
        const n = view.shape[axis]!;
        const indices = fromHost(
          Array.from({ length: n }, (_, i) => n - 1 - i),
          [n],
          "int32",
          device,
        );
        const flipped = runOp("gather", [view, indices], { axis })[0]!;
        indices.storage.release();
        view.storage.release();
        view = flipped;
      }
      return { view };
    }
  }
}
