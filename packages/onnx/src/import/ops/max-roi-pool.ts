import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import { lowerThroughHost } from "../host-step.ts";
import { castTo, input, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * MaxRoiPool (opset 1), as onnxruntime's CPU kernel computes it (Caffe's RoI pooling): each roi's
 * corners are scaled by spatial_scale and rounded (half away from zero), its size is at least 1,
 * bin (ph, pw) covers [floor(ph · size / pooled), ceil((ph + 1) · size / pooled)) from the roi's
 * corner, clipped to the feature map, and an empty bin is 0. Which feature-map cells each bin covers
 * depends on the rois, so those rows are listed on the host (host-step.ts: at import when the rois
 * are known, else per run under OnnxSession, planned per row count, not per box). On the device the
 * feature map, as rows of channels, is gathered at every listed cell and reduced by max.
 * */

/** Gathered elements per chunk: bounds the [bins, cells, C] intermediate. */
const CHUNK_ELEMENTS = 1 << 22;
/** Listed cells over all bins (padded to the largest bin): bounds the index table (64 MiB). */
export const MAX_ROI_POOL_CELLS = 1 << 24;

interface Geometry {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly pooledH: number;
  readonly pooledW: number;
  readonly spatialScale: number;
}

/** C's round(): half away from zero (Math.round rounds half up). */
function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** A bin's [start, end) along one dim, in float32 as onnxruntime computes it, clipped to [0, size]. */
function binRange(p: number, binSize: number, offset: number, size: number): [number, number] {
  const clip = (v: number) => Math.min(Math.max(v + offset, 0), size);
  return [clip(Math.floor(Math.fround(p * binSize))), clip(Math.ceil(Math.fround((p + 1) * binSize)))];
}

/** Per bin (roi-major, then ph, pw) the absolute rows of the [N·H·W, C] feature rows it covers, and whether it covers any. */
function cellsOf(rois: ArrayLike<number>, g: Geometry, where: string): { rows: Int32Array; perBin: number; filled: Uint8Array } {
  const count = rois.length / 5;
  const bins: number[][] = [];
  let most = 1;
  for (let r = 0; r < count; r++) {
    const at = (k: number) => rois[r * 5 + k]!;
    const batch = Math.trunc(at(0));
    if (!(batch >= 0 && batch < g.batch))
      throw new ShapeError(`${where}: roi ${r} has batch index ${at(0)}, outside [0, ${g.batch}) (X has ${g.batch} images)`);
    const [x1, y1, x2, y2] = [1, 2, 3, 4].map((k) => roundHalfAway(Math.fround(at(k) * g.spatialScale))) as [number, number, number, number];
    const roiH = Math.max(y2 - y1 + 1, 1);
    const roiW = Math.max(x2 - x1 + 1, 1);
    const binH = Math.fround(roiH / g.pooledH);
    const binW = Math.fround(roiW / g.pooledW);
    const base = batch * g.height * g.width;
    for (let ph = 0; ph < g.pooledH; ph++) {
      const [h0, h1] = binRange(ph, binH, y1, g.height);
      for (let pw = 0; pw < g.pooledW; pw++) {
        const [w0, w1] = binRange(pw, binW, x1, g.width);
        const cells: number[] = [];
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) cells.push(base + h * g.width + w);
        most = Math.max(most, cells.length);
        const padded = count * g.pooledH * g.pooledW * most;
        if (padded > MAX_ROI_POOL_CELLS)
          throw new UnsupportedOpError(
            `${where}: ${count} rois of ${g.pooledH}×${g.pooledW} bins cover up to ${most} cells per bin, ${padded} in all, over the ${MAX_ROI_POOL_CELLS} Polychip lists per run`,
          );
        bins.push(cells);
      }
    }
  }
  const rows = new Int32Array(bins.length * most);
  const filled = new Uint8Array(bins.length);
  bins.forEach((cells, b) => {
    filled[b] = cells.length > 0 ? 1 : 0;
    // Padding repeats the bin's first cell: it cannot change a max (an empty bin reads row 0 and is zeroed after).
    for (let k = 0; k < most; k++) rows[b * most + k] = cells.length > 0 ? cells[k < cells.length ? k : 0]! : 0;
  });
  return { rows, perBin: most, filled };
}

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function cellTables(g: Geometry, where: string) {
  return ([rois]: readonly (HostTensor | undefined)[]): HostTensor[] => {
    if (rois!.shape.length !== 2 || rois!.shape[1] !== 5)
      throw new ShapeError(`${where}: rois must be [num_rois, 5] (batch_index, x1, y1, x2, y2), got [${rois!.shape.join(", ")}]`);
    const { rows, perBin, filled } = cellsOf(rois!.data as ArrayLike<number>, g, where);
    return [
      { dtype: "int32", shape: [filled.length, perBin], data: rows },
      { dtype: "bool", shape: [filled.length, 1], data: filled },
    ];
  };
}

const maxRoiPool: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rois = input(ctx, node, 1);
  requireFloatInput(ctx, x);
  requireFloatInput(ctx, rois);
  const shape = ctx.shape(x, "MaxRoiPool");
  if (shape.length !== 4) throw new ShapeError(`${ctx.where()}: X must be [N, C, H, W], got [${shape.join(", ")}]`);
  const [n, c, height, width] = shape as [number, number, number, number];
  const pooled = node.attrs.ints("pooled_shape");
  if (!pooled) throw new FormatError(`${ctx.where()}: the attribute pooled_shape is required`);
  if (pooled.length !== 2 || pooled.some((p) => !(p > 0)))
    throw new ShapeError(`${ctx.where()}: pooled_shape must be two positive sizes, got [${pooled.join(", ")}]`);
  const spatialScale = node.attrs.float("spatial_scale", 1)!;
  if (!(spatialScale > 0)) throw new ShapeError(`${ctx.where()}: spatial_scale must be positive, got ${spatialScale}`);
  const g: Geometry = { batch: n, height, width, pooledH: pooled[0]!, pooledW: pooled[1]!, spatialScale };
  lowerThroughHost(ctx, node, {
    reads: [rois],
    why: "MaxRoiPool's rois (which cells each bin covers depends on the boxes)",
    results: 2,
    compute: cellTables(g, ctx.where()),
    lower: ([rows, filled]) => {
      const [bins, perBin] = ctx.shape(rows!, "MaxRoiPool") as [number, number];
      const features = ctx.op("reshape", [ctx.op("permute", [castTo(ctx, x, "float32")], { dims: [0, 2, 3, 1] })], { shape: [n * height * width, c] });
      const chunk = Math.max(1, Math.min(perBin, Math.floor(CHUNK_ELEMENTS / Math.max(1, bins * c))));
      let acc: string | undefined;
      for (let from = 0; from < perBin; from += chunk) {
        const k = Math.min(chunk, perBin - from);
        const part = k === perBin ? rows! : ctx.op("slice", [rows!], { starts: [from], ends: [from + k], axes: [1] });
        const index = ctx.op("reshape", [part], { shape: [bins * k] });
        const gathered = ctx.op("reshape", [ctx.op("gather", [features, index], { axis: 0 })], { shape: [bins, k, c] });
        const reduced = ctx.op("reduceMax", [gathered], { axes: [1], keepDims: false });
        acc = acc ? ctx.op("maximum", [acc, reduced]) : reduced;
      }
      const pooledRows = ctx.op("where", [filled!, acc!, ctx.scalar(0, "float32")]);
      const count = bins / (g.pooledH * g.pooledW);
      const y = ctx.op("permute", [ctx.op("reshape", [pooledRows], { shape: [count, g.pooledH, g.pooledW, c] })], { dims: [0, 3, 1, 2] });
      ctx.bind(output(node), castTo(ctx, y, ctx.dtype(x)));
    },
  });
};

export const MAX_ROI_POOL_IMPORTERS: Readonly<Record<string, OpImporter>> = { MaxRoiPool: maxRoiPool };
