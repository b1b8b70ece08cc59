/**
 * Smaller runs for the webgpu device, where CI's WebGPU is SwiftShader on the CPU (tens of
 * MFLOP/s on a loaded 2-core machine): the same kinds of input as inputs.ts at a small realistic
 * size the model's dynamic dims allow, so the webgpu kernels still run every op of the model at
 * its real channel widths. Models without an entry run their inputs.ts runs on webgpu too.
 */

import type { RealModelFeeds } from "./feeds.ts";
import { documentImage, image } from "./inputs.ts";
import { moonshineDecoderRun, moonshineEncoderRun } from "./moonshine.ts";

export const REAL_MODEL_WEBGPU_INPUTS: Readonly<Record<string, () => RealModelFeeds[]>> = {
  // Crops of a document, 32×64 and 64×32: the detector's smallest inputs (it downsamples by 32).
  "ppocr-v4-det": () =>
    [
      [32, 64],
      [64, 32],
    ].map(([h, w], k) => image([1, 3, h!, w!], documentImage(h!, w!, k))),
  // Short words, 48×64 and 48×96 (8 and 12 time steps into the CTC head).
  "ppocr-v4-rec": () => [64, 96].map((w, k) => image([1, 3, 48, w], documentImage(48, w, k + 3))),
  // A quarter of a second of voice. One run each for Moonshine: a second input length costs about
  // 9 s more on SwiftShader (planning the new shapes and running them), the cpu and npu-sim runs
  // cover the dynamic lengths.
  "moonshine-tiny-encoder": () => [moonshineEncoderRun(4000, 0)],
  // "Turn on" after the start token, over 10 encoder frames.
  "moonshine-tiny-decoder": () => [moonshineDecoderRun([1, 9603, 373], 10)],
};
