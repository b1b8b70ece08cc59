import { PolychipError, randomStandardNormal, ShapeError, formatShape } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import { clamp, gt, logicalOr, lt, where } from "../ops/basic.ts";
import { full, nextSeed, rand, randn, tensor } from "../ops/creation.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

/**
 * torch.nn.init's in-place initialisers: each overwrites `t`'s values (the same tensor object, so a
 * layer's parameter stays registered and an optimiser keeps it) and returns `t`. Random draws come
 * from Polychip's global stream (manualSeed), so values differ from torch's; the distributions match.
 */
function fill_(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => tidy(() => void t.assign(make())));
  return t;
}

export type Nonlinearity = "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new PolychipError(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight [out, in, ...kernel], as torch. */
export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ShapeError(`init: fan in and fan out need a tensor of at least 2 dims, got ${formatShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

const like = (t: Tensor) => ({ device: t.device, dtype: t.dtype });

export const constant_ = (t: Tensor, value: number): Tensor => fill_(t, () => full(t.shape, value, like(t)));
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
export const uniform_ = (t: Tensor, a = 0, b = 1): Tensor => fill_(t, () => rand(t.shape, { ...like(t), low: a, high: b }));
export const normal_ = (t: Tensor, mean = 0, std = 1): Tensor => fill_(t, () => randn(t.shape, { ...like(t), mean, std }));

export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions {
  /** The negative slope of leaky_relu. */
  a?: number;
  mode?: "fanIn" | "fanOut";
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fanIn, fanOut] = fans(t);
  const mode = o.mode ?? "fanIn";
  if (mode !== "fanIn" && mode !== "fanOut") throw new PolychipError(`kaiming init: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  return calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(mode === "fanIn" ? fanIn : fanOut);
}

export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return uniform_(t, -bound, bound);
}

export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, o));
}

/**
 * Normal(mean, std) truncated to [a, b]: values outside are redrawn (16 rounds leave a
 * vanishing fraction, which is then clamped), where torch inverts the CDF; same distribution.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  if (!(a < b)) throw new PolychipError(`truncNormal_: need a < b, got a=${a}, b=${b}`);
  return fill_(t, () => {
    let x = randn(t.shape, { ...like(t), mean, std });
    for (let round = 0; round < 16; round++) x = where(logicalOr(lt(x, a), gt(x, b)), randn(t.shape, { ...like(t), mean, std }), x);
    return clamp(x, a, b);
  });
}

/** A (semi-)orthogonal matrix from the QR decomposition of a normal one (Gram-Schmidt on the host, in float64), times `gain`. */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  if (t.ndim < 2) throw new ShapeError(`orthogonal_: needs at least 2 dims, got ${formatShape(t.shape)}`);
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  const transpose = rows < cols;
  const [n, m] = transpose ? [cols, rows] : [rows, cols]; // orthonormal columns of an n x m matrix, n >= m
  const seed = nextSeed();
  const q = Array.from({ length: m }, (_, j) => Float64Array.from({ length: n }, (_, i) => randomStandardNormal(seed, j * n + i)));
  for (let j = 0; j < m; j++) {
    const v = q[j]!;
    for (let k = 0; k < j; k++) {
      const u = q[k]!;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i]! * v[i]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i]! /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (transpose ? q[r]![c]! : q[c]![r]!);
  return fill_(t, () => tensor(out, { shape: t.shape, ...like(t) }));
}
