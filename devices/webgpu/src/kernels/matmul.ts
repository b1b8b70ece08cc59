import { boolAttr, isPerTensorZeroPoint, sizeOf, type KernelCall, type TensorView } from "@polychip/hal";
import type { EpilogueOf } from "../families/epilogue-store.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import { coalesce } from "../families/strided.ts";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";
import { ParamBlock } from "../runtime/params.ts";
import { inputBinding, scalarOf, scatterOutputBinding } from "../wgsl/dtypes.ts";
import { tiledGemm } from "../wgsl/tiled-gemm.ts";

/** integerMatmul's zero points: per tensor, per row of a, per column of b (each optional). */
interface ZeroPoints {
  readonly a?: TensorView<WebGpuBuffer>;
  readonly b?: TensorView<WebGpuBuffer>;
}

/** A zero point's loader `zp_<name>(i)`, i the row (a) or column (b); 0 without one. */
function zeroPointFunction(name: string, zp: TensorView<WebGpuBuffer> | undefined): string {
  if (!zp) return `fn zp_${name}(i: u32) -> i32 { return 0; }`;
  return `fn zp_${name}(i: u32) -> i32 { return ld_z${name}(u32(prm_z${name}_off() + i32(i) * prm_z${name}_step())); }`;
}

/**
 * matmul on the tiled GEMM. transposeA/B are only strides (no data moves) and any input strides
 * work, so the engine never has to copy a transposed or broadcast operand; batches run along z.
 * With `zeroPoints` it is integerMatmul: int8/uint8 loads minus their zero points, summed in i32
 * (exact, wrapping at 32 bits), stored as int32.
 */
export function matmulThrough(
  { inputs: [a, b], outputs: [y], attrs }: KernelCall<WebGpuBuffer>,
  device: Dispatcher,
  epilogue?: EpilogueOf,
  zeroPoints?: ZeroPoints,
): void {
  const r = a!.shape.length;
  const ta = boolAttr(attrs, "transposeA");
  const tb = boolAttr(attrs, "transposeB");
  const M = a!.shape[ta ? r - 1 : r - 2]!;
  const N = b!.shape[tb ? r - 2 : r - 1]!;
  const K = a!.shape[ta ? r - 2 : r - 1]!;
  const outShape = [...a!.shape.slice(0, r - 2), M, N];
  if (sizeOf(outShape) === 0) return;
  const zps = (["a", "b"] as const).filter((k) => zeroPoints?.[k]);
  const epi = epilogue?.(3);
  const outBinding = 3 + zps.length;
  const batchDims = coalesce(outShape.slice(0, r - 2), [a!.strides.slice(0, r - 2), b!.strides.slice(0, r - 2)]);
  const rank = batchDims.shape.length;
  const [as0, as1] = [a!.strides[r - 2]!, a!.strides[r - 1]!];
  const [bs0, bs1] = [b!.strides[r - 2]!, b!.strides[r - 1]!];
  const s = scalarOf(a!.dtype);
  const walk = (stride: string) =>
    rank > 0 ? `var r = z; for (var d: i32 = ${rank - 1}; d >= 0; d--) { let sz = prm_bshape(u32(d)); o += i32(r % sz) * ${stride}(u32(d)); r = r / sz; }` : "";
  tiledGemm(device, {
    op: epi ? "matmulEpilogue" : "matmul",
    key: `matmul:${a!.dtype}:b${rank}${epi ? `:${epi.key}` : ""}${zeroPoints ? `:int:${b!.dtype}:${zps.map((k) => `${k}${zeroPoints[k]!.dtype}`).join("")}` : ""}`,
    scalar: s,
    M,
    N,
    batches: sizeOf(batchDims.shape),
    aFast: Math.abs(ta ? as0 : as1) === 1 || Math.abs(ta ? as1 : as0) !== 1 ? "k" : "m",
    bFast: Math.abs(tb ? bs0 : bs1) === 1 || Math.abs(tb ? bs1 : bs0) !== 1 ? "n" : "k",
    reads: [a!, b!, ...zps.map((k) => zeroPoints![k]!), ...(epi?.reads ?? [])].map((v) => v.buffer),
    writes: (epi?.writes ?? [y!]).map((v) => v.buffer),
    args: { M, N, K },
    params: () => {
      const block = new ParamBlock()
        .u32("M", M)
        .u32("N", N)
        .u32("K", K)
        .i32("a_off", a!.offset)
        .i32("b_off", b!.offset)
        // Element strides of A(m, k) and B(k, n) as the product reads them.
        .i32("a_m", ta ? as1 : as0)
        .i32("a_k", ta ? as0 : as1)
        .i32("b_k", tb ? bs1 : bs0)
        .i32("b_n", tb ? bs0 : bs1)
        .u32("bshape", batchDims.shape)
        .i32("bsa", batchDims.strides[0]!)
        .i32("bsb", batchDims.strides[1]!);
      for (const k of zps) {
        const zp = zeroPoints![k]!;
        block.i32(`z${k}_off`, zp.offset).i32(`z${k}_step`, isPerTensorZeroPoint(zp) ? 0 : zp.strides[0]!);
      }
      return epi ? epi.params(block) : block.u32("out_off", y!.offset);
    },
    bindings: [
      inputBinding(1, "a", a!.dtype),
      inputBinding(2, "b", b!.dtype),
      ...zps.map((k, i) => inputBinding(3 + i, `z${k}`, zeroPoints![k]!.dtype)),
      epi ? epi.bindings : scatterOutputBinding(outBinding, "y", y!.dtype),
    ].join("\n"),
    functions: [
      `fn a_base(z: u32) -> i32 { var o = prm_a_off(); ${walk("prm_bsa")} return o; }`,
      `fn b_base(z: u32) -> i32 { var o = prm_b_off(); ${walk("prm_bsb")} return o; }`,
      ...(zeroPoints ? [zeroPointFunction("a", zeroPoints.a), zeroPointFunction("b", zeroPoints.b)] : []),
      `fn load_a(z: u32, m: u32, k: u32) -> ${s} { return ld_a(u32(a_base(z) + i32(m) * prm_a_m() + i32(k) * prm_a_k()))${zeroPoints ? " - zp_a(m)" : ""}; }`,
      `fn load_b(z: u32, k: u32, n: u32) -> ${s} { return ld_b(u32(b_base(z) + i32(k) * prm_b_k() + i32(n) * prm_b_n()))${zeroPoints ? " - zp_b(n)" : ""}; }`,
      epi?.functions ?? "",
      `fn store(z: u32, m: u32, n: u32, v: ${s}) { let e = (z * prm_M() + m) * prm_N() + n; ${epi ? "epilogue_store(e, v);" : "st_y(prm_out_off() + e, v);"} }`,
    ].join("\n"),
  });
}

const matmul: WebGpuKernel = (call, device) => matmulThrough(call, device);

const integerMatmul: WebGpuKernel = (call, device) => matmulThrough(call, device, undefined, { a: call.inputs[2], b: call.inputs[3] });

export const linear = { matmul, integerMatmul };
