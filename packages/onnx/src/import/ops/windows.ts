import { ShapeError } from "@polychip/hal";
import { dtypeForOnnx } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { input, output, type OpImporter } from "./helpers.ts";

/**
 * The window functions and MelWeightMatrix (opset 17). Their outputs depend only on scalar
 * inputs, so they are computed at import (in double precision, as ONNX's reference does) and
 * become constants; a size that only a run knows is computed per run by OnnxSession.
 */

/** ONNX's output_datatype attribute (default float). */
function outputDtype(ctx: ImportContext, node: OnnxNode) {
  return dtypeForOnnx(node.attrs.int("output_datatype", 1)!, `${ctx.where()} output_datatype`);
}

function scalarInput(ctx: ImportContext, node: OnnxNode, i: number, what: string): number {
  const t = ctx.requireConstant(input(ctx, node, i), `${node.opType}'s ${what}`);
  if (t.data.length !== 1) throw new ShapeError(`${ctx.where()}: ${what} must be a scalar, got shape [${t.shape.join(", ")}]`);
  return Number(t.data[0]);
}

/** A window of `size` values w(n, N) where N is size (periodic, the default) or size − 1 (symmetric). */
function windowOp(w: (n: number, N: number) => number): OpImporter {
  return (ctx, node) => {
    const size = scalarInput(ctx, node, 0, "size");
    if (!Number.isInteger(size) || size < 0) throw new ShapeError(`${ctx.where()}: size must be a non-negative integer, got ${size}`);
    const N = node.attrs.int("periodic", 1) === 1 ? size : size - 1;
    const values = Array.from({ length: size }, (_, n) => w(n, N));
    ctx.bind(output(node), ctx.const(values, [size], outputDtype(ctx, node)));
  };
}

const hann = windowOp((n, N) => Math.sin((Math.PI * n) / N) ** 2);
const hamming = windowOp((n, N) => 25 / 46 - (1 - 25 / 46) * Math.cos((2 * Math.PI * n) / N));
const blackman = windowOp((n, N) => 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / N) + 0.08 * Math.cos((4 * Math.PI * n) / N));

/**
 * MelWeightMatrix: [dft_length/2 + 1, num_mel_bins] triangular filters, following ONNX's
 * definition to the letter (mel points spaced by (high − low)/(bins + 2), bin edges floored).
 */
const melWeightMatrix: OpImporter = (ctx, node) => {
  const bins = scalarInput(ctx, node, 0, "num_mel_bins");
  const dftLength = scalarInput(ctx, node, 1, "dft_length");
  const sampleRate = scalarInput(ctx, node, 2, "sample_rate");
  const low = scalarInput(ctx, node, 3, "lower_edge_hertz");
  const high = scalarInput(ctx, node, 4, "upper_edge_hertz");
  if (!(bins > 0 && dftLength > 0 && sampleRate > 0 && low >= 0 && high > low))
    throw new ShapeError(
      `${ctx.where()}: needs num_mel_bins, dft_length, sample_rate > 0 and 0 <= lower_edge_hertz < upper_edge_hertz, got ${bins}, ${dftLength}, ${sampleRate}, ${low}, ${high}`,
    );
  const spectrogramBins = Math.floor(dftLength / 2) + 1;
  const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
  const lowMel = toMel(low);
  const step = (toMel(high) - lowMel) / (bins + 2);
  const edges = Array.from({ length: bins + 2 }, (_, i) => {
    const hz = 700 * (10 ** ((i * step + lowMel) / 2595) - 1);
    return Math.floor(((dftLength + 1) * hz) / sampleRate);
  });
  if (edges[bins + 1]! >= spectrogramBins)
    throw new ShapeError(`${ctx.where()}: upper_edge_hertz ${high} falls past the last of ${spectrogramBins} spectrogram bins (sample rate ${sampleRate})`);
  const w = new Float64Array(spectrogramBins * bins);
  for (let i = 0; i < bins; i++) {
    const [left, center, right] = [edges[i]!, edges[i + 1]!, edges[i + 2]!];
    if (center === left) w[center * bins + i] = 1;
    else for (let j = left; j <= center; j++) w[j * bins + i] = (j - left) / (center - left);
    for (let j = center; j < right; j++) w[j * bins + i] = (right - j) / (right - center);
  }
  ctx.bind(output(node), ctx.const(Array.from(w), [spectrogramBins, bins], outputDtype(ctx, node)));
};

export const WINDOW_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  HannWindow: hann,
  HammingWindow: hamming,
  BlackmanWindow: blackman,
  MelWeightMatrix: melWeightMatrix,
};
