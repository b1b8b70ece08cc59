import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import { lowerThroughHost } from "../host-step.ts";
import { castTo, input, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * RoiAlign (opsets 10, 16, 22). Where each bin samples depends on the boxes (and, with
 * sampling_ratio 0, how many samples: ceil(roi size / bins) per dim), so the sample positions and
 * bilinear weights are built on the host from the rois and batch indices (host-step.ts: at import
 * when they are known, else per run under OnnxSession, whose plan then depends on the number of
 * taps, not on the boxes). On the device the feature map, laid out as rows of channels, is
 * gathered at every tap, weighted and reduced (sum / count for avg, max of the weighted corners
 * for max, as ONNX's reference defines it), in chunks that bound memory.
 */

/** Gathered elements per chunk: bounds the [rows, taps, C] intermediate. */
const CHUNK_ELEMENTS = 1 << 22;
/** Bilinear taps (4 per sample) over all bins built on the host: bounds the index and weight tensors (64 MiB each). */
export const MAX_ROI_ALIGN_TAPS = 1 << 24;

interface Taps {
  /** Per output bin (roi-major), `perBin` absolute rows into the [N·H·W, C] feature rows. */
  readonly rows: Int32Array;
  readonly weights: Float32Array;
  readonly perBin: number;
  /** Per roi: 1 / its sample count (avg). */
  readonly scale: Float32Array;
}

interface Geometry {
  readonly height: number;
  readonly width: number;
  readonly outH: number;
  readonly outW: number;
  readonly spatialScale: number;
  readonly samplingRatio: number;
  readonly halfPixel: boolean;
}

/** One bilinear sample: its 4 corner positions (in one image) and weights, zero outside [-1, size]. */
function sample(y: number, x: number, g: Geometry, into: number[]): void {
  const { height: H, width: W } = g;
  if (y < -1 || y > H || x < -1 || x > W) {
    into.push(0, 0, 0, 0, 0, 0, 0, 0);
    return;
  }
  y = Math.max(y, 0);
  x = Math.max(x, 0);
  let yLow = Math.trunc(y);
  let xLow = Math.trunc(x);
  let yHigh = yLow + 1;
  let xHigh = xLow + 1;
  if (yLow >= H - 1) [yLow, yHigh, y] = [H - 1, H - 1, H - 1];
  if (xLow >= W - 1) [xLow, xHigh, x] = [W - 1, W - 1, W - 1];
  const ly = y - yLow;
  const lx = x - xLow;
  const [hy, hx] = [1 - ly, 1 - lx];
  into.push(yLow * W + xLow, yLow * W + xHigh, yHigh * W + xLow, yHigh * W + xHigh, hy * hx, hy * lx, ly * hx, ly * lx);
}

/** Every roi's samples per bin, as ONNX's reference places them; bins with fewer samples than the most are padded. */
function buildTaps(rois: ArrayLike<number>, batch: ArrayLike<number>, g: Geometry, max: boolean, refuse: (taps: number) => never): Taps {
  const count = batch.length;
  const bins = g.outH * g.outW;
  const perRoi: number[][][] = [];
  const scale = new Float32Array(count);
  let most = 1;
  for (let r = 0; r < count; r++) {
    const offset = g.halfPixel ? 0.5 : 0;
    const [x0, y0, x1, y1] = [0, 1, 2, 3].map((k) => rois[r * 4 + k]! * g.spatialScale - offset) as [number, number, number, number];
    let [roiW, roiH] = [x1 - x0, y1 - y0];
    if (!g.halfPixel) [roiW, roiH] = [Math.max(roiW, 1), Math.max(roiH, 1)];
    const [binH, binW] = [roiH / g.outH, roiW / g.outW];
    const gridH = g.samplingRatio > 0 ? g.samplingRatio : Math.ceil(roiH / g.outH);
    const gridW = g.samplingRatio > 0 ? g.samplingRatio : Math.ceil(roiW / g.outW);
    scale[r] = 1 / Math.max(gridH * gridW, 1);
    const padded = count * bins * Math.max(most, gridH * gridW) * 4;
    if (padded > MAX_ROI_ALIGN_TAPS) refuse(padded);
    const base = batch[r]! * g.height * g.width;
    const binsOfRoi: number[][] = [];
    for (let ph = 0; ph < g.outH; ph++) {
      for (let pw = 0; pw < g.outW; pw++) {
        const taps: number[] = [];
        for (let iy = 0; iy < gridH; iy++) {
          const y = y0 + ph * binH + ((iy + 0.5) * binH) / gridH;
          for (let ix = 0; ix < gridW; ix++) sample(y, x0 + pw * binW + ((ix + 0.5) * binW) / gridW, g, taps);
        }
        for (let t = 0; t < taps.length; t += 8) for (let k = 0; k < 4; k++) taps[t + k]! += base;
        binsOfRoi.push(taps);
        most = Math.max(most, taps.length / 8);
      }
    }
    perRoi.push(binsOfRoi);
  }
  const perBin = most * 4;
  const rows = new Int32Array(count * bins * perBin);
  const weights = new Float32Array(count * bins * perBin);
  perRoi.flat().forEach((taps, b) => {
    // Padding repeats the bin's first sample for max (it cannot change a max) and adds zero weights for avg.
    for (let s = 0; s < most; s++) {
      const from = s * 8 < taps.length ? s * 8 : max && taps.length > 0 ? 0 : -1;
      for (let k = 0; k < 4; k++) {
        rows[b * perBin + s * 4 + k] = from < 0 ? 0 : taps[from + k]!;
        weights[b * perBin + s * 4 + k] = from < 0 ? 0 : taps[from + 4 + k]!;
      }
    }
  });
  return { rows, weights, perBin, scale };
}

const roiAlign: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const shape = ctx.shape(x, "RoiAlign");
  if (shape.length !== 4) throw new ShapeError(`${ctx.where()}: X must be [N, C, H, W], got [${shape.join(", ")}]`);
  const [n, c, height, width] = shape as [number, number, number, number];
  const mode = node.attrs.string("mode", "avg")!;
  if (mode !== "avg" && mode !== "max") throw new UnsupportedOpError(`${ctx.where()}: mode '${mode}' (expected avg or max)`);
  const transform = node.opset >= 16 ? node.attrs.string("coordinate_transformation_mode", "half_pixel")! : "output_half_pixel";
  if (transform !== "half_pixel" && transform !== "output_half_pixel")
    throw new UnsupportedOpError(`${ctx.where()}: coordinate_transformation_mode '${transform}' (expected half_pixel or output_half_pixel)`);
  const g: Geometry = {
    height,
    width,
    outH: node.attrs.int("output_height", 1)!,
    outW: node.attrs.int("output_width", 1)!,
    spatialScale: node.attrs.float("spatial_scale", 1)!,
    samplingRatio: node.attrs.int("sampling_ratio", 0)!,
    halfPixel: transform === "half_pixel",
  };
  if (g.outH < 1 || g.outW < 1 || g.samplingRatio < 0)
    throw new ShapeError(`${ctx.where()}: output_height ${g.outH}, output_width ${g.outW} must be positive and sampling_ratio ${g.samplingRatio} non-negative`);
  lowerThroughHost(ctx, node, {
    reads: [input(ctx, node, 1), input(ctx, node, 2)],
    why: "RoiAlign's rois and batch_indices (where and how often each bin samples depends on the boxes)",
    results: 3,
    compute: sampling(n, g, mode === "max", ctx.where()),
    lower: ([rows, weights, scale]) => {
      const [bins, perBin] = ctx.shape(rows!, "RoiAlign") as [number, number];
      const features = ctx.op("reshape", [ctx.op("permute", [castTo(ctx, x, "float32")], { dims: [0, 2, 3, 1] })], { shape: [n * height * width, c] });
      const chunk = Math.max(1, Math.min(perBin, Math.floor(CHUNK_ELEMENTS / Math.max(1, bins * c))));
      let acc: string | undefined;
      for (let from = 0; from < perBin; from += chunk) {
        const k = Math.min(chunk, perBin - from);
        const part = (t: string) => (k === perBin ? t : ctx.op("slice", [t], { starts: [from], ends: [from + k], axes: [1] }));
        const index = ctx.op("reshape", [part(rows!)], { shape: [bins * k] });
        const gathered = ctx.op("reshape", [ctx.op("gather", [features, index], { axis: 0 })], { shape: [bins, k, c] });
        const weighted = ctx.op("mul", [gathered, part(weights!)]);
        const reduced = ctx.op(mode === "avg" ? "reduceSum" : "reduceMax", [weighted], { axes: [1], keepDims: false });
        acc = acc ? ctx.op(mode === "avg" ? "add" : "maximum", [acc, reduced]) : reduced;
      }
      if (mode === "avg") acc = ctx.op("mul", [acc!, scale!]);
      const count = bins / (g.outH * g.outW);
      const y = ctx.op("permute", [ctx.op("reshape", [acc!], { shape: [count, g.outH, g.outW, c] })], { dims: [0, 3, 1, 2] });
      ctx.bind(output(node), castTo(ctx, y, ctx.dtype(x)));
    },
  });
};

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function sampling(n: number, g: Geometry, max: boolean, where: string) {
  return ([rois, batch]: readonly (HostTensor | undefined)[]) => tapsOf(rois!, batch!, n, g, max, where);
}

/** Every bin's tap rows [bins, perBin], weights [bins, perBin, 1] and avg scale [bins, 1], from the rois. */
function tapsOf(rois: HostTensor, batch: HostTensor, n: number, g: Geometry, max: boolean, where: string): HostTensor[] {
  const count = batch.data.length;
  if (rois.shape.length !== 2 || rois.shape[1] !== 4 || rois.shape[0] !== count)
    throw new ShapeError(`${where}: rois must be [${count}, 4] (one per batch index), got [${rois.shape.join(", ")}]`);
  const badBatch = Array.from(batch.data as ArrayLike<number>).find((b) => b < 0 || b >= n || !Number.isInteger(b));
  if (badBatch !== undefined) throw new ShapeError(`${where}: batch index ${badBatch} is outside [0, ${n})`);
  const taps = buildTaps(rois.data as ArrayLike<number>, batch.data as ArrayLike<number>, g, max, (needed) => {
    throw new UnsupportedOpError(
      `${where}: ${count} rois of ${g.outH}×${g.outW} bins need ${needed} bilinear taps, over the ${MAX_ROI_ALIGN_TAPS} Polychip builds per run (large rois with sampling_ratio 0 sample ceil(roi size / bins) times per dim; set sampling_ratio)`,
    );
  });
  const bins = count * g.outH * g.outW;
  const scale = Float32Array.from({ length: bins }, (_, b) => taps.scale[Math.floor(b / (g.outH * g.outW))]!);
  return [
    { dtype: "int32", shape: [bins, taps.perBin], data: taps.rows },
    { dtype: "float32", shape: [bins, taps.perBin, 1], data: taps.weights },
    { dtype: "float32", shape: [bins, 1], data: scale },
  ];
}

export const ROI_ALIGN_IMPORTERS: Readonly<Record<string, OpImporter>> = { RoiAlign: roiAlign };
