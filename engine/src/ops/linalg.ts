import { broadcastShapes, formatShape, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, run } from "./basic.ts";
import { expand, reshape, squeeze, unsqueeze } from "./shape.ts";
import { autocasting, inFloat16 } from "./autocast.ts";

/** Batched a @ b on inputs of equal rank and batch dims, optionally reading either transposed. */
export function matmulCore(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  return run("matmul", [a, b], { transposeA, transposeB });
}

/** torch.matmul: 1-D operands are promoted, batch dims broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (autocasting()) return inFloat16("matmul", matmul, a, b);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(`matmul: both operands need at least 1 dim, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  if (a.ndim === 1 && b.ndim === 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), []);
  if (a.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  const ka = a.shape[a.ndim - 1]!;
  const kb = b.shape[b.ndim - 2]!;
  if (ka !== kb) throw new ShapeError(`matmul: inner dimensions differ (${ka} vs ${kb}) for float32${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  // A matrix times a stack: fold the stack into rows (no copy for contiguous a).
  if (b.ndim === 2 && a.ndim > 2) {
    const lead = a.shape.slice(0, -1);
    const out2 = matmulCore(reshape(a, [-1, ka]), b, false, false);
    return reshape(out2, [...lead, b.shape[1]!]);
  }
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ea = expand(a, [...batch, ...a.shape.slice(-2)]);
  const eb = expand(b, [...batch, ...b.shape.slice(-2)]);
  return matmulCore(ea, eb, false, false);
}

/** x @ weight^T + bias, with weight stored [out, in] as in torch.nn.Linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (autocasting()) return inFloat16("matmul", linear, x, weight, bias);
  const inFeatures = weight.shape[1]!;
  if (x.shape[x.ndim - 1] !== inFeatures) {
    throw new ShapeError(
      `linear: input ${x.dtype}${formatShape(x.shape)} has ${x.shape[x.ndim - 1]} features, weight ${formatShape(weight.shape)} expects ${inFeatures}`,
    );
  }
  const flat = x.ndim === 2 ? x : reshape(x, [-1, inFeatures]);
  const y = matmulCore(flat, weight, false, true);
  const withBias = bias ? add(y, bias) : y;
  return x.ndim === 2 ? withBias : reshape(withBias, [...x.shape.slice(0, -1), weight.shape[0]!]);
}

export const bmm = (a: Tensor, b: Tensor): Tensor => {
  if (autocasting()) return inFloat16("matmul", bmm, a, b);
  if (a.ndim !== 3 || b.ndim !== 3) throw new ShapeError(`bmm: expects 3-D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  return matmulCore(a, b, false, false);
};
