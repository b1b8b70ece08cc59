import { conv2dGeometry, formatShape, listAttr, ShapeError, type Attrs, type Conv2dGeometry, type Shape } from "@polychip/hal";
import { ParamBlock } from "../runtime/params.ts";

/** The HAL's conv2d geometry with the output size spelt out, as the kernels use it. */
export interface ConvGeometry extends Conv2dGeometry {
  readonly OH: number;
  readonly OW: number;
}

let forcedBaking: boolean | undefined;

/** Whether conv kernels on `device` bake the geometry into the shader (see convGeometry): not on a software adapter. */
export function bakesConvGeometry(device: { readonly softwareAdapter: boolean }): boolean {
  return forcedBaking ?? !device.softwareAdapter;
}

/** Pins the choice for every later conv kernel (undefined: by adapter again). For tests, which run on a software adapter. */
export function forceConvGeometryBaking(baked: boolean | undefined): void {
  forcedBaking = baked;
}

/**
 * The geometry is baked into the shader by default: im2col divides by it for every element it
 * loads, and a division by a constant is a multiply and a shift. `baked` false passes it in
 * uniforms instead, so one pipeline serves every layer: for a software adapter (SwiftShader),
 * where each tiled-GEMM pipeline costs seconds of CPU to compile, more than its divisions cost
 * over a whole model (PaddleOCR's classifier: 43 conv pipelines, about 2 s each).
 */
export function convGeometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs, baked = true): ConvGeometry & { params: () => ParamBlock } {
  const base = conv2dGeometry(op, xShape, wShape, attrs);
  const { win } = base;
  const g = { ...base, OH: win.oh, OW: win.ow };
  const params = () => {
    const block = new ParamBlock();
    const u32 = (name: string, value: number) => (baked ? block.constU32(name, value) : block.u32(name, value));
    const i32 = (name: string, value: number) => (baked ? block.constI32(name, value) : block.i32(name, value));
    u32("cN", g.N);
    u32("cC", g.C);
    u32("cH", g.H);
    u32("cW", g.W);
    u32("cOC", g.OC);
    u32("cCg", g.Cg);
    u32("cOCg", g.OCg);
    u32("cKH", g.KH);
    u32("cKW", g.KW);
    u32("cOH", win.oh);
    u32("cOW", win.ow);
    i32("sh", win.sh);
    i32("sw", win.sw);
    i32("dh", win.dh);
    i32("dw", win.dw);
    i32("pt", win.pt);
    i32("pl", win.pl);
    return block;
  };
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
