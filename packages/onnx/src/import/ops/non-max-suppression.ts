import { ShapeError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { input, optionalInput, output, type OpImporter } from "./helpers.ts";

/**
 * NonMaxSuppression (opsets 10, 11). How many boxes survive depends on the data, so, like
 * NonZero, the boxes and scores must be known at import: OnnxSession computes them per run with
 * a prefix of the model and the plan holds the selected indices as a constant. The selection is
 * ONNX's greedy one, per batch and class, in float32 arithmetic as its reference computes it.
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

/** Whether box a suppresses box b: IoU strictly above the threshold (degenerate boxes never do). */
function suppresses(a: readonly number[], b: readonly number[], iouThreshold: number): boolean {
  const ix0 = Math.max(a[0]!, b[0]!);
  const ix1 = Math.min(a[2]!, b[2]!);
  const iy0 = Math.max(a[1]!, b[1]!);
  const iy1 = Math.min(a[3]!, b[3]!);
  if (ix1 <= ix0 || iy1 <= iy0) return false;
  const inter = f(f(ix1 - ix0) * f(iy1 - iy0));
  const areaA = f(f(a[2]! - a[0]!) * f(a[3]! - a[1]!));
  const areaB = f(f(b[2]! - b[0]!) * f(b[3]! - b[1]!));
  const union = f(f(areaA + areaB) - inter);
  if (inter <= 0 || areaA <= 0 || areaB <= 0 || union <= 0) return false;
  return f(inter / union) > iouThreshold;
}

function optionalScalar(ctx: ImportContext, node: OnnxNode, i: number, what: string): number | undefined {
  const name = optionalInput(node, i);
  if (!name) return undefined;
  const t = ctx.requireConstant(name, `NonMaxSuppression's ${what}`);
  return t.data.length === 0 ? undefined : Number(t.data[0]);
}

function known(ctx: ImportContext, node: OnnxNode, i: number, what: string): HostTensor {
  return ctx.requireConstant(input(ctx, node, i), `NonMaxSuppression's ${what} (the number of boxes it selects depends on their values)`);
}

const nonMaxSuppression: OpImporter = (ctx, node) => {
  const boxes = known(ctx, node, 0, "boxes");
  const scores = known(ctx, node, 1, "scores");
  const [batches, count, four] = boxes.shape as [number, number, number];
  const [scoreBatches, classes, scoreCount] = scores.shape as [number, number, number];
  if (boxes.shape.length !== 3 || four !== 4 || scores.shape.length !== 3 || scoreBatches !== batches || scoreCount !== count)
    throw new ShapeError(
      `${ctx.where()}: boxes must be [batch, boxes, 4] and scores [batch, classes, boxes], got [${boxes.shape.join(", ")}] and [${scores.shape.join(", ")}]`,
    );
  const maxPerClass = Math.max(optionalScalar(ctx, node, 2, "max_output_boxes_per_class") ?? 0, 0);
  const iouThreshold = f(optionalScalar(ctx, node, 3, "iou_threshold") ?? 0);
  const scoreThreshold = optionalScalar(ctx, node, 4, "score_threshold");
  const centerPoint = node.attrs.int("center_point_box", 0) === 1;
  const selected: number[] = [];
  for (let b = 0; b < batches; b++) {
    const block = boxes.data.subarray(b * count * 4, (b + 1) * count * 4);
    const box = Array.from({ length: count }, (_, i) => corners(block, i, centerPoint));
    for (let c = 0; c < classes; c++) {
      const s = scores.data.subarray((b * classes + c) * count, (b * classes + c + 1) * count);
      const candidates = [...Array(count).keys()].filter((i) => scoreThreshold === undefined || s[i]! > f(scoreThreshold));
      // Highest score first; among equal scores the lower index first.
      candidates.sort((i, j) => s[j]! - s[i]! || i - j);
      const kept: number[] = [];
      for (const i of candidates) {
        if (kept.length >= maxPerClass) break;
        if (kept.some((k) => suppresses(box[i]!, box[k]!, iouThreshold))) continue;
        kept.push(i);
        selected.push(b, c, i);
      }
    }
  }
  ctx.bind(output(node), ctx.const(selected, [selected.length / 3, 3], "int32"));
};

export const NMS_IMPORTERS: Readonly<Record<string, OpImporter>> = { NonMaxSuppression: nonMaxSuppression };
