import { parseEpilogue, shapesEqual, type Epilogue } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel } from "../kernels/registration.ts";
import { LayoutMemo } from "../layout-memo.ts";
import type { CpuView } from "../views.ts";
import { forwardGemm, geometry, type Geometry } from "./conv2d.ts";
import { depthwiseTakes, runDepthwiseConv2d } from "./conv2d-depthwise.ts";
import { pointwiseDotTakes } from "./conv2d-dot.ts";
import { fewPositionsTakes } from "./conv2d-few-positions.ts";
import { narrowTakes, runNarrowPointwise } from "./conv2d-narrow.ts";
import type { ForwardEpilogue } from "./conv2d-problem.ts";
import { epilogueModule, inLoopBuffers, planEpilogue, writeDescriptor, type EpiloguePlan } from "./matmul-epilogue-plan.ts";
import { address, contiguous, float32Addresses } from "./support.ts";

/** A conv epilogue's route for one attrs object and its layouts: the parsed node, the geometry (its addresses set per call), the plan and the kernel that runs it. */
interface ConvRoute {
  readonly e: Epilogue;
  readonly g: Geometry;
  readonly plan: EpiloguePlan;
  readonly kernel: "depthwise" | "narrow" | "conv";
}

const routes = new LayoutMemo<ConvRoute | false>();

/** The route for these layouts, or false when the in-loop path does not take them. */
function routeOf(call: Parameters<CpuKernel>[0]): ConvRoute | false {
  const e = parseEpilogue("conv2dEpilogue", call.attrs, call.inputs.length);
  const [x, w, bias] = call.inputs.slice(0, e.baseInputs) as CpuView[];
  if (![x!, w!, ...(bias ? [bias] : [])].every((v) => v.dtype === "float32" && contiguous(v))) return false;
  const g = geometry("conv2d", x!.shape, w!.shape, e.baseAttrs);
  if (!g || (bias && !shapesEqual(bias.shape, [g.OC]))) return false;
  // As conv2d picks its kernel (conv2d.ts forward): the direct depthwise and narrow kernels take an
  // epilogue in their stores, the few-position and dot-product paths do not.
  if (fewPositionsTakes(x!.shape, w!.shape, e.baseAttrs) || (!depthwiseTakes(g) && pointwiseDotTakes(g))) return false;
  const plan = planConvEpilogue(call, e, g.OH, g.OW);
  return plan ? { e, g, plan, kernel: depthwiseTakes(g) ? "depthwise" : narrowTakes(g) ? "narrow" : "conv" } : false;
}

/**
 * conv2dEpilogue (float32) with the program applied in the GEMM's micro-kernel as each output tile
 * is finished (wasm/kernels/gemm-epilogue.ts), or in the store of the direct depthwise kernel or
 * the narrow GEMM (1x1 on a small map), instead of a second pass over the whole output. Returns
 * false, having written nothing, for what the in-loop path does not take — convs that run on the
 * other direct kernels (few positions, 1x1 on a 1x1 image), a strided input, an extra
 * input broadcast within an output plane other than per channel (a [1, 1, 1, W] row), other
 * programs and dtypes (see planEpilogue) — so the caller runs the product and then the program.
 */
export function runConvEpilogue(call: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const { inputs, outputs, attrs } = call;
  let route = routes.get(attrs, inputs, outputs);
  if (route === undefined) route = routes.set(attrs, routeOf(call), inputs, outputs);
  if (route === false) return false;
  const { e, g, plan, kernel } = route;
  const ptrs = float32Addresses(inputs.slice(0, e.baseInputs) as CpuView[]);
  const extras = inputs.slice(e.baseInputs) as CpuView[];
  const outs = outputs as CpuView[];
  if (!ptrs || !inLoopBuffers(extras, outs)) return false;
  [g.image, g.weight] = ptrs as [number, number];
  g.bias = e.baseInputs > 2 ? ptrs[2]! : 0;
  g.out = address(outs[plan.target]!)!;
  const epilogue = convForwardEpilogue(path, kernel, plan, extras, outs);
  if (kernel === "depthwise") return runDepthwiseConv2d(path, g, epilogue);
  if (kernel === "narrow") return runNarrowPointwise(path, g, epilogue);
  forwardGemm(path, g, epilogue);
  return true;
}

/**
 * The in-loop plan of a conv-shaped epilogue: one GEMM per image, its columns the image's OH·OW
 * output positions (oh·OW + ow), its rows the output channels. An extra input must advance with
 * the positions or be constant over the plane (per channel, per image, a scalar).
 */
export function planConvEpilogue(call: Parameters<CpuKernel>[0], e: Epilogue, OH: number, OW: number): EpiloguePlan | undefined {
  return planEpilogue(call, e, ([, , sh, sw]) => {
    if ((OH === 1 || sh === 0) && (OW === 1 || sw === 0)) return false;
    if ((OW === 1 || sw === 1) && (OH === 1 || sh === OW)) return true;
    return undefined;
  });
}

/** What a conv kernel applies in its stores for `plan`: the generated module, and this call's extra inputs and outputs in its descriptor. */
export function convForwardEpilogue(
  path: FastPath,
  kernel: ConvRoute["kernel"],
  plan: EpiloguePlan,
  extras: readonly CpuView[],
  outs: readonly CpuView[],
): ForwardEpilogue {
  const rt = path.runtime;
  return {
    module: epilogueModule(rt, kernel, plan),
    descriptorBytes: plan.descriptorBytes,
    writeDescriptor: (at: number) => writeDescriptor(rt.i32, at, plan, extras, outs, ([perImage, perChannel]) => [perImage!, perChannel!]),
  };
}
