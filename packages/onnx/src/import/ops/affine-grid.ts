import { ShapeError } from "@polychip/hal";
import { castTo, input, output, requireFloatInput, type OpImporter } from "./helpers.ts";

/**
 * AffineGrid (opset 20), 2-D and 3-D: the normalised coordinates of every output position
 * (x, y[, z], 1), built at import for the size (which must be known then), times each batch's
 * theta transposed: one batched matmul.
 */
const affineGrid: OpImporter = (ctx, node) => {
  const theta = input(ctx, node, 0);
  requireFloatInput(ctx, theta);
  const size = ctx.ints(input(ctx, node, 1), "AffineGrid's size");
  const ts = ctx.shape(theta, "AffineGrid");
  const r = size.length - 2;
  if ((r !== 2 && r !== 3) || ts.length !== 3 || ts[0] !== size[0] || ts[1] !== r || ts[2] !== r + 1)
    throw new ShapeError(
      `${ctx.where()}: theta must be [N, 2, 3] with size [N, C, H, W] or [N, 3, 4] with [N, C, D, H, W], got theta [${ts.join(", ")}] and size [${size.join(", ")}]`,
    );
  if (size.some((d) => !Number.isInteger(d) || d < 1)) throw new ShapeError(`${ctx.where()}: size [${size.join(", ")}] must hold positive sizes`);
  const alignCorners = node.attrs.int("align_corners", 0) === 1;
  const spatial = size.slice(2);
  const points = spatial.reduce((a, b) => a * b, 1);
  const coord = (i: number, n: number) => (alignCorners ? (n === 1 ? -1 : -1 + (2 * i) / (n - 1)) : (2 * i + 1) / n - 1);
  // Rows (x, y[, z], 1) in row-major order of the spatial dims: x follows the last dim.
  const base = new Float32Array(points * (r + 1));
  for (let p = 0; p < points; p++) {
    let rest = p;
    for (let d = r - 1; d >= 0; d--) {
      base[p * (r + 1) + (r - 1 - d)] = coord(rest % spatial[d]!, spatial[d]!);
      rest = Math.floor(rest / spatial[d]!);
    }
    base[p * (r + 1) + r] = 1;
  }
  const n = size[0]!;
  const rows = ctx.op("expand", [ctx.const(base, [1, points, r + 1], "float32")], { shape: [n, points, r + 1] });
  const grid = ctx.op("matmul", [rows, castTo(ctx, theta, "float32")], { transposeB: true });
  ctx.bind(output(node), castTo(ctx, ctx.op("reshape", [grid], { shape: [n, ...spatial, r] }), ctx.dtype(theta)));
};

export const AFFINE_GRID_IMPORTERS: Readonly<Record<string, OpImporter>> = { AffineGrid: affineGrid };
