import { boolAttr, listAttr, shapesEqual, sizeOf, window2d, type Attrs, type Shape } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { POOL } from "../wasm/kernels/pool.ts";
import { targetChunks } from "./grid.ts";
import { fastKernelWithHalf } from "./half.ts";
import { contiguous, fastKernel, float32Addresses } from "./support.ts";

type Geometry = Record<(typeof POOL.fields)[number], number>;

function geometry(op: string, xShape: Shape, attrs: Attrs): Geometry | undefined {
  if (xShape.length !== 4 || sizeOf(xShape) === 0) return undefined;
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [kh, kw] = listAttr(op, attrs, "kernel") as [number, number];
  const win = window2d(op, H, W, kh, kw, attrs);
  return {
    x: 0,
    y: 0,
    gradOut: 0,
    planes: N * C,
    H,
    W,
    kh,
    kw,
    sh: win.sh,
    sw: win.sw,
    dh: win.dh,
    dw: win.dw,
    pt: win.pt,
    pl: win.pl,
    pb: win.pb,
    pr: win.pr,
    OH: win.oh,
    OW: win.ow,
    includePad: boolAttr(attrs, "countIncludePad") ? 1 : 0,
    perChunk: 1,
  };
}

function launch(path: FastPath, name: string, g: Geometry, scratchBytes: number): void {
  const target = targetChunks(path.threads, g.planes * g.OH * g.OW * g.kh * g.kw, 1 << 14);
  g.perChunk = Math.max(1, Math.ceil(g.planes / target));
  const rt = path.runtime;
  const geo = rt.tableFor(POOL.bytes);
  POOL.write(rt.i32, geo, g);
  rt.run(path.pool, name, [geo], Math.ceil(g.planes / g.perChunk), scratchBytes);
}

const fits = (g: Geometry, x: Shape, gradOut: CpuView) => shapesEqual(gradOut.shape, [x[0]!, x[1]!, g.OH, g.OW]);
const allContiguous = (...views: CpuView[]) => views.every(contiguous);

/** Max and average pooling (float32, and float16 through float32 copies) and their gradients (float32) in contiguous NCHW in WASM, one chunk per block of planes. */
export function fastPool(ref: (op: string) => CpuKernel): CpuRegistration[] {
  return [
    ...fastKernelWithHalf("maxPool2d", ref("maxPool2d"), ({ inputs: [x], outputs: [y], attrs }, path) => {
      const ptrs = float32Addresses([x, y]);
      const g = geometry("maxPool2d", x!.shape, attrs);
      if (!ptrs || !g || !allContiguous(x!, y!)) return false;
      [g.x, g.y] = ptrs as [number, number];
      launch(path, "maxPool2d", g, 0);
      return true;
    }),
    fastKernel("maxPool2dGrad", ref("maxPool2dGrad"), ({ inputs: [x, gradOut], outputs: [y], attrs }, path) => {
      const ptrs = float32Addresses([x, gradOut, y]);
      const g = geometry("maxPool2dGrad", x!.shape, attrs);
      if (!ptrs || !g || !fits(g, x!.shape, gradOut!) || !allContiguous(x!, gradOut!, y!)) return false;
      [g.x, g.gradOut, g.y] = ptrs as [number, number, number];
      launch(path, "maxPool2dGrad", g, g.H * g.W * 8);
      return true;
    }),
    ...fastKernelWithHalf("avgPool2d", ref("avgPool2d"), ({ inputs: [x], outputs: [y], attrs }, path) => {
      const ptrs = float32Addresses([x, y]);
      const g = geometry("avgPool2d", x!.shape, attrs);
      if (!ptrs || !g || !allContiguous(x!, y!)) return false;
      [g.x, g.y] = ptrs as [number, number];
      launch(path, "avgPool2d", g, 0);
      return true;
    }),
    fastKernel("avgPool2dGrad", ref("avgPool2dGrad"), ({ inputs: [gradOut], outputs: [y], attrs }, path) => {
      const xShape = listAttr("avgPool2dGrad", attrs, "inputShape");
      const ptrs = float32Addresses([gradOut, y]);
      const g = geometry("avgPool2dGrad", xShape, attrs);
      if (!ptrs || !g || !fits(g, xShape, gradOut!) || !allContiguous(gradOut!, y!)) return false;
      [g.gradOut, g.y] = ptrs as [number, number];
      launch(path, "avgPool2dGrad", g, g.H * g.W * 8);
      return true;
    }),
  ];
}
