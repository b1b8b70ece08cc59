import { formatShape, ShapeError, type Attrs } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, run } from "./basic.ts";
import { conv2d } from "./nn-functional.ts";
import { reshape, squeeze, unsqueeze } from "./shape.ts";
import { autocasting, inFloat16 } from "./autocast.ts";

type Pair = number | [number, number];
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v);

export interface Conv1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
}

/** 1-D convolution on [N, C, L] with weight [OC, C/groups, K], as a 2-D one of height 1. */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor, opts: Conv1dOptions = {}): Tensor {
  if (autocasting()) return inFloat16("conv2d", conv1d, x, weight, bias, opts);
  if (x.ndim !== 3 || weight.ndim !== 3)
    throw new ShapeError(`conv1d: expects input [N, C, L] and weight [OC, C/groups, K], got ${formatShape(x.shape)} and ${formatShape(weight.shape)}`);
  const y = conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, {
    stride: [1, opts.stride ?? 1],
    padding: [0, opts.padding ?? 0],
    dilation: [1, opts.dilation ?? 1],
    groups: opts.groups,
  });
  return squeeze(y, 2);
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/**
 * Transposed 2-D convolution on NCHW input with weight [C, OC/groups, KH, KW], as torch's
 * conv_transpose2d: the HAL's conv2dGradInput is exactly this op (the gradient of a convolution
 * w.r.t. its input), and its gradients are a forward convolution (input) and conv2dGradWeight.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  if (autocasting()) return inFloat16("conv2dGradInput", convTranspose2d, x, weight, bias, opts);
  if (x.ndim !== 4 || weight.ndim !== 4)
    throw new ShapeError(
      `convTranspose2d: expects input [N, C, H, W] and weight [C, OC/groups, KH, KW], got ${formatShape(x.shape)} and ${formatShape(weight.shape)}`,
    );
  const groups = opts.groups ?? 1;
  if (weight.shape[0] !== x.shape[1])
    throw new ShapeError(
      `convTranspose2d: weight ${formatShape(weight.shape)} expects ${weight.shape[0]} input channels, the input ${formatShape(x.shape)} has ${x.shape[1]}`,
    );
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [oph, opw] = pair(opts.outputPadding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw))
    throw new ShapeError(`convTranspose2d: outputPadding (${oph}, ${opw}) must be smaller than stride or dilation`);
  const [kh, kw] = weight.shape.slice(2) as [number, number];
  const [n, , h, w] = x.shape as [number, number, number, number];
  const outShape = [n, weight.shape[1]! * groups, (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1, (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1];
  const attrs: Attrs = { strides: [sh, sw], pads: [ph, pw, ph, pw], dilations: [dh, dw], groups };
  const out = run("conv2dGradInput", [x, weight], { ...attrs, inputShape: outShape });
  return bias ? add(out, reshape(bias, [1, -1, 1, 1])) : out;
}
