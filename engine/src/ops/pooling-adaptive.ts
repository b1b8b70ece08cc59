import { formatShape, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { tensor } from "./creation.ts";
import { cat } from "./indexing.ts";
import { matmul } from "./linalg.ts";
import { avgPool2d, maxPool2d } from "./nn-functional.ts";
import { max, mean } from "./reduce.ts";
import { slice, squeeze, transpose, unsqueeze } from "./shape.ts";

/**
 * torch's adaptive pooling: output cell i of an axis of size `in` pools input [floor(i*in/out),
 * ceil((i+1)*in/out)). Sizes that divide evenly run as the HAL's pooling ops (what a device
 * accelerates); the others compose a constant averaging matrix (avg) or per-window maxima (max),
 * so every device, autograd, compile and ONNX export work without a new kernel.
 */
export type AdaptiveSize = number | readonly (number | null)[];

function windows(inSize: number, outSize: number): [number, number][] {
  return Array.from({ length: outSize }, (_, i) => [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)]);
}

/** The output sizes of the last `spatial` dims; null keeps the input's size, as torch's None. */
function targetSizes(op: string, x: Tensor, size: AdaptiveSize, spatial: number): number[] {
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    const names = spatial === 1 ? "[N, C, L] or [C, L]" : "[N, C, H, W] or [C, H, W]";
    throw new ShapeError(`${op}: expects ${names}, got ${formatShape(x.shape)}`);
  }
  const list = typeof size === "number" ? Array<number | null>(spatial).fill(size) : [...size];
  const ins = x.shape.slice(-spatial);
  const outs = list.map((s, i) => (s === null ? ins[i]! : s));
  if (outs.length !== spatial || outs.some((s) => !Number.isInteger(s) || s <= 0))
    throw new ShapeError(`${op}: output size ${JSON.stringify(size)} must be ${spatial} positive integer(s) for input ${formatShape(x.shape)}`);
  if (ins.some((d) => d === 0)) throw new ShapeError(`${op}: input ${formatShape(x.shape)} has an empty spatial dim`);
  return outs;
}

/** Runs `pool4d` on a 4-D [N, C, H, W] form of `x` ([C, H, W], [N, C, L], [C, L]) and returns the input's layout. */
function asFourD(x: Tensor, spatial: number, pool4d: (x4: Tensor) => Tensor): Tensor {
  const batched = x.ndim === spatial + 2 ? x : unsqueeze(x, 0);
  const x4 = spatial === 1 ? unsqueeze(batched, 2) : batched;
  const y4 = pool4d(x4);
  const y = spatial === 1 ? squeeze(y4, 2) : y4;
  return x.ndim === spatial + 2 ? y : squeeze(y, 0);
}

/** Averages along one axis with a constant [in, out] matrix (each column 1/size over its window). */
function averageAlong(x: Tensor, axis: number, outSize: number): Tensor {
  const inSize = x.shape[axis]!;
  const weights = new Float32Array(inSize * outSize);
  windows(inSize, outSize).forEach(([s, e], o) => {
    for (let i = s; i < e; i++) weights[i * outSize + o] = 1 / (e - s);
  });
  const moved = axis === x.ndim - 1 ? x : transpose(x, axis, -1);
  const pooled = matmul(moved, tensor(weights, { shape: [inSize, outSize], dtype: x.dtype, device: x.device }));
  return axis === x.ndim - 1 ? pooled : transpose(pooled, axis, -1);
}

/** The maximum of each window along one axis, concatenated. */
function maximumAlong(x: Tensor, axis: number, outSize: number): Tensor {
  return cat(
    windows(x.shape[axis]!, outSize).map(([s, e]) => max(slice(x, axis, s, e), axis, true)),
    axis,
  );
}

function adaptive4d(x4: Tensor, outs: number[], kind: "avg" | "max"): Tensor {
  const [h, w] = [x4.shape[2]!, x4.shape[3]!];
  const [oh, ow] = [outs[0]!, outs[1]!];
  if (oh === 1 && ow === 1) return kind === "avg" ? mean(x4, [2, 3], true) : max(x4, [2, 3], true);
  if (h % oh === 0 && w % ow === 0) {
    const kernel: [number, number] = [h / oh, w / ow];
    return kind === "avg" ? avgPool2d(x4, kernel) : maxPool2d(x4, kernel);
  }
  const along = kind === "avg" ? averageAlong : maximumAlong;
  const rows = oh === h ? x4 : along(x4, 2, oh);
  return ow === w ? rows : along(rows, 3, ow);
}

/** torch.nn.functional.adaptive_avg_pool2d on [N, C, H, W] or [C, H, W]. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const outs = targetSizes("adaptiveAvgPool2d", x, outputSize, 2);
  return asFourD(x, 2, (x4) => adaptive4d(x4, outs, "avg"));
}

/** torch.nn.functional.adaptive_max_pool2d (values only) on [N, C, H, W] or [C, H, W]. */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  const outs = targetSizes("adaptiveMaxPool2d", x, outputSize, 2);
  return asFourD(x, 2, (x4) => adaptive4d(x4, outs, "max"));
}

/** torch.nn.functional.adaptive_avg_pool1d on [N, C, L] or [C, L]. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly [number]): Tensor {
  const outs = targetSizes("adaptiveAvgPool1d", x, typeof outputSize === "number" ? outputSize : [...outputSize], 1);
  return asFourD(x, 1, (x4) => adaptive4d(x4, [1, outs[0]!], "avg"));
}

/** torch.nn.functional.adaptive_max_pool1d (values only) on [N, C, L] or [C, L]. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly [number]): Tensor {
  const outs = targetSizes("adaptiveMaxPool1d", x, typeof outputSize === "number" ? outputSize : [...outputSize], 1);
  return asFourD(x, 1, (x4) => adaptive4d(x4, [1, outs[0]!], "max"));
}

export interface Pool1dOptions {
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
  /** avgPool1d only: whether padded zeros count in the mean (default true, as torch). */
  countIncludePad?: boolean;
}

function check1d(op: string, x: Tensor, kernel: number, opts: Pool1dOptions): void {
  if (x.ndim !== 2 && x.ndim !== 3) throw new ShapeError(`${op}: expects [N, C, L] or [C, L], got ${formatShape(x.shape)}`);
  for (const [name, v, min] of [
    ["kernelSize", kernel, 1],
    ["stride", opts.stride ?? kernel, 1],
    ["padding", opts.padding ?? 0, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new ShapeError(`${op}: ${name} must be an integer >= ${min}, got ${v}`);
  }
  if ((opts.padding ?? 0) * 2 > kernel) throw new ShapeError(`${op}: padding ${opts.padding} must be at most half of kernelSize ${kernel}`);
}

/** torch.nn.functional.avg_pool1d: the 2-D HAL op over a [N, C, 1, L] view. */
export function avgPool1d(x: Tensor, kernelSize: number, opts: Pool1dOptions = {}): Tensor {
  check1d("avgPool1d", x, kernelSize, opts);
  const stride = opts.stride ?? kernelSize;
  return asFourD(x, 1, (x4) =>
    avgPool2d(x4, [1, kernelSize], { stride: [1, stride], padding: [0, opts.padding ?? 0], ceilMode: opts.ceilMode, countIncludePad: opts.countIncludePad }),
  );
}

/** torch.nn.functional.max_pool1d (values only): the 2-D HAL op over a [N, C, 1, L] view. */
export function maxPool1d(x: Tensor, kernelSize: number, opts: Pool1dOptions = {}): Tensor {
  check1d("maxPool1d", x, kernelSize, opts);
  const stride = opts.stride ?? kernelSize;
  return asFourD(x, 1, (x4) => maxPool2d(x4, [1, kernelSize], { stride: [1, stride], padding: [0, opts.padding ?? 0], ceilMode: opts.ceilMode }));
}
