import { conv2dGeometry, formatShape, listAttr, ShapeError, type Attrs, type Conv2dGeometry, type Shape } from "@polychip/hal";
import { ParamBlock } from "../runtime/params.ts";

/** The HAL's conv2d geometry with the output size spelt out, as the kernels use it. */
export interface ConvGeometry extends Conv2dGeometry {
  readonly OH: number;
  readonly OW: number;
}

export function convGeometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs): ConvGeometry & { params: () => ParamBlock } {
  const base = conv2dGeometry(op, xShape, wShape, attrs);
  const { win } = base;
  const g = { ...base, OH: win.oh, OW: win.ow };
  // The geometry is baked into the shader: im2col divides by it for every element it loads.
  const params = () =>
    new ParamBlock()
      .constU32("cN", g.N)
      .constU32("cC", g.C)
      .constU32("cH", g.H)
      .constU32("cW", g.W)
      .constU32("cOC", g.OC)
      .constU32("cCg", g.Cg)
      .constU32("cOCg", g.OCg)
      .constU32("cKH", g.KH)
      .constU32("cKW", g.KW)
      .constU32("cOH", win.oh)
      .constU32("cOW", win.ow)
      .constI32("sh", win.sh)
      .constI32("sw", win.sw)
      .constI32("dh", win.dh)
      .constI32("dw", win.dw)
      .constI32("pt", win.pt)
      .constI32("pl", win.pl);
  return { ...g, params };
}

export function checkGradOut(op: string, g: ConvGeometry, shape: Shape): void {
  const expected = [g.N, g.OC, g.OH, g.OW];
  if (shape.length !== 4 || shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${op}: gradOut must be ${formatShape(expected)}, got ${formatShape(shape)}`);
  }
}

/** The shape an op's attribute names (inputShape, weightShape) as a checked 4-D list. */
export function shapeAttr(op: string, attrs: Attrs, name: string): number[] {
  const shape = listAttr(op, attrs, name);
  if (shape.length !== 4) throw new ShapeError(`${op}: attribute ${name} must be 4-D, got ${formatShape(shape)}`);
  return shape;
}

/**
 * WGSL `im2col(z, r, col)`: entry (r, col) of group z's unfolded input, r = (c, ki, kj) over
 * Cg x KH x KW and col = (n, oh, ow); taps in the padding read 0. Needs `ld_x` and `prm_x_off`.
 */
export function im2colWgsl(s: string): string {
  return `fn im2col(z: u32, r: u32, col: u32) -> ${s} {
  let kk = prm_cKH() * prm_cKW();
  let c = r / kk; let ki = i32((r % kk) / prm_cKW()); let kj = i32(r % prm_cKW());
  let P = prm_cOH() * prm_cOW();
  let n = col / P; let p = col % P;
  let ih = i32(p / prm_cOW()) * prm_sh() - prm_pt() + ki * prm_dh();
  let iw = i32(p % prm_cOW()) * prm_sw() - prm_pl() + kj * prm_dw();
  if (ih < 0 || iw < 0 || ih >= i32(prm_cH()) || iw >= i32(prm_cW())) { return ${s === "f32" ? "0.0f" : "0i"}; }
  return ld_x(prm_x_off() + ((n * prm_cC() + z * prm_cCg() + c) * prm_cH() + u32(ih)) * prm_cW() + u32(iw));
}`;
}
