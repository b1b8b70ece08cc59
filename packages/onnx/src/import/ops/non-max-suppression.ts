import { ShapeError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import { lowerThroughHost } from "../host-step.ts";
import { input, optionalInput, output, type OpImporter } from "./helpers.ts";

/**
 * NonMaxSuppression (opsets 10, 11). How many boxes survive depends on the data, so the selection
 * runs on the host (host-step.ts): at import when boxes and scores are known, else per run under
 * OnnxSession, whose plan for the rest of the model reads the selection as an input of that size.
 * The selection is ONNX's greedy one, per batch and class, in float32 arithmetic as its reference
 * computes it.
 */

const f = Math.fround;

/** [x1, y1, x2, y2] (min, max sorted) of box `i` in a [N, 4] block. */
function corners(boxes: ArrayLike<number>, i: number, centerPoint: boolean): [number, number, number, number] {
  const b = [boxes[i * 4]!, boxes[i * 4 + 1]!, boxes[i * 4 + 2]!, boxes[i * 4 + 3]!];
  if (centerPoint) {
    const [cx, cy, w, h] = b as [number, number, number, number];
    const hw = f(w / 2);
    const hh = f(h / 2);
    return [f(cx - hw), f(cy - hh), f(cx + hw), f(cy + hh)];
  }
  const [y1, x1, y2, x2] = b as [number, number, number, number];
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}

/** Whether box a suppresses box b (corners at a·4 and b·4 of `box`): IoU strictly above the threshold (degenerate boxes never do). */
function suppresses(box: Float32Array, a: number, b: number, iouThreshold: number): boolean {
  const [ax0, ay0, ax1, ay1] = [box[a * 4]!, box[a * 4 + 1]!, box[a * 4 + 2]!, box[a * 4 + 3]!];
  const [bx0, by0, bx1, by1] = [box[b * 4]!, box[b * 4 + 1]!, box[b * 4 + 2]!, box[b * 4 + 3]!];
  const ix0 = Math.max(ax0, bx0);
  const ix1 = Math.min(ax1, bx1);
  const iy0 = Math.max(ay0, by0);
  const iy1 = Math.min(ay1, by1);
  if (ix1 <= ix0 || iy1 <= iy0) return false;
  const inter = f(f(ix1 - ix0) * f(iy1 - iy0));
  const areaA = f(f(ax1 - ax0) * f(ay1 - ay0));
  const areaB = f(f(bx1 - bx0) * f(by1 - by0));
  const union = f(f(areaA + areaB) - inter);
  if (inter <= 0 || areaA <= 0 || areaB <= 0 || union <= 0) return false;
  return f(inter / union) > iouThreshold;
}

/** The first value of an optional scalar input, or undefined when it is absent or empty. */
function scalarOf(t: HostTensor | undefined): number | undefined {
  return t === undefined || t.data.length === 0 ? undefined : Number(t.data[0]);
}

/** ONNX's greedy selection, per batch and class: [selected, 3] rows of (batch, class, box). */
export function selectBoxes([boxes, scores, maxOut, iou, scoreMin]: readonly (HostTensor | undefined)[], centerPoint: boolean, where: string): HostTensor {
  const [batches, count, four] = boxes!.shape as [number, number, number];
  const [scoreBatches, classes, scoreCount] = scores!.shape as [number, number, number];
  if (boxes!.shape.length !== 3 || four !== 4 || scores!.shape.length !== 3 || scoreBatches !== batches || scoreCount !== count)
    throw new ShapeError(
      `${where}: boxes must be [batch, boxes, 4] and scores [batch, classes, boxes], got [${boxes!.shape.join(", ")}] and [${scores!.shape.join(", ")}]`,
    );
  const maxPerClass = Math.max(scalarOf(maxOut) ?? 0, 0);
  const iouThreshold = f(scalarOf(iou) ?? 0);
  const threshold = scalarOf(scoreMin);
  const scoreThreshold = threshold === undefined ? undefined : f(threshold);
  const selected: number[] = [];
  const box = new Float32Array(count * 4);
  for (let b = 0; b < batches && maxPerClass > 0; b++) {
    const block = boxes!.data.subarray(b * count * 4, (b + 1) * count * 4);
    for (let i = 0; i < count; i++) box.set(corners(block, i, centerPoint), i * 4);
    for (let c = 0; c < classes; c++) {
      const s = scores!.data.subarray((b * classes + c) * count, (b * classes + c + 1) * count);
      const candidates: number[] = [];
      for (let i = 0; i < count; i++) if (scoreThreshold === undefined || s[i]! > scoreThreshold) candidates.push(i);
      // Highest score first; among equal scores the lower index first.
      candidates.sort((i, j) => s[j]! - s[i]! || i - j);
      const kept: number[] = [];
      for (const i of candidates) {
        if (kept.length >= maxPerClass) break;
        if (kept.some((k) => suppresses(box, i, k, iouThreshold))) continue;
        kept.push(i);
        selected.push(b, c, i);
      }
    }
  }
  return { dtype: "int32", shape: [selected.length / 3, 3], data: Int32Array.from(selected) };
}

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function selection(centerPoint: boolean, where: string) {
  return (values: readonly (HostTensor | undefined)[]) => [selectBoxes(values, centerPoint, where)];
}

const nonMaxSuppression: OpImporter = (ctx, node) => {
  const centerPoint = node.attrs.int("center_point_box", 0) === 1;
  lowerThroughHost(ctx, node, {
    reads: [input(ctx, node, 0), input(ctx, node, 1), ...[2, 3, 4].map((i) => optionalInput(node, i) ?? "")],
    why: "NonMaxSuppression's boxes, scores and thresholds (the number of boxes it selects depends on their values)",
    results: 1,
    compute: selection(centerPoint, ctx.where()),
    lower: ([selected]) => ctx.bind(output(node), selected!),
  });
};

export const NMS_IMPORTERS: Readonly<Record<string, OpImporter>> = { NonMaxSuppression: nonMaxSuppression };
