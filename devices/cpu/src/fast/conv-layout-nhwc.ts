import type { ConvLayout, ConvLayoutQuery } from "@polychip/hal";

/**
 * The cpu's answer to DevicePlugin.preferredConvLayout. Channels-last pays only when whole chains
 * run in it — depthwise convs (conv2dDepthwiseNhwc) and the 1x1 convs between them (one GEMM
 * each) — since every other op meets the chain through a transpose. Off unless
 * POLYCHIP_CPU_NHWC=1: on the OCR models it has not yet measured faster end to end than NCHW,
 * whose convs fuse their bias and activation into the GEMM (see docs/ARCHITECTURE.md).
 */
export function cpuConvLayout(conv: ConvLayoutQuery): ConvLayout {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.POLYCHIP_CPU_NHWC !== "1" || conv.dtype !== "float32") return "nchw";
  return nhwcKernelTakes(conv) ? "nhwc" : "nchw";
}

/** Depthwise convs over a multiple of 4 channels, and 1x1 stride-1 unpadded convs: the shapes with a channels-last fast path. */
export function nhwcKernelTakes(conv: ConvLayoutQuery): boolean {
  const [oc, cg, kh, kw] = conv.weightShape as [number, number, number, number];
  const groups = typeof conv.attrs.groups === "number" ? conv.attrs.groups : 1;
  const strides = (conv.attrs.strides as readonly number[] | undefined) ?? [1, 1];
  const pads = (conv.attrs.pads as readonly number[] | undefined) ?? [0, 0, 0, 0];
  const channels = conv.inputShape[1];
  const depthwise = cg === 1 && groups === channels && oc === groups && oc % 4 === 0;
  const pointwise = kh === 1 && kw === 1 && groups === 1 && strides.every((s) => s === 1) && pads.every((p) => p === 0);
  return depthwise || pointwise;
}
