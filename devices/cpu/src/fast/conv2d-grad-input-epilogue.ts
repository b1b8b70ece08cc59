import { listAttr, parseEpilogue, shapesEqual, type Epilogue } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel } from "../kernels/registration.ts";
import { LayoutMemo } from "../layout-memo.ts";
import type { CpuView } from "../views.ts";
import { forwardGemm, geometry, record, type Geometry } from "./conv2d.ts";
import { depthwiseTakes } from "./conv2d-depthwise.ts";
import { gradInputAsConv, gradInputConvProblem, gradInputRunsAsConv } from "./conv2d-grad-input.ts";
import { convForwardEpilogue, planConvEpilogue } from "./conv2d-epilogue.ts";
import { inLoopBuffers, type EpiloguePlan } from "./matmul-epilogue-plan.ts";
import { address, contiguous, float32Addresses } from "./support.ts";

interface GradInputRoute {
  readonly e: Epilogue;
  /** The input gradient's problem (as conv2dGradInput's kernel reads it); its addresses are set per call. */
  readonly g: Geometry;
  readonly plan: EpiloguePlan;
}

const routes = new LayoutMemo<GradInputRoute | false>();

/** The route for these layouts, or false when the in-loop path does not take them. */
function routeOf(call: Parameters<CpuKernel>[0]): GradInputRoute | false {
  const e = parseEpilogue("conv2dGradInputEpilogue", call.attrs, call.inputs.length);
  const [gradOut, w] = call.inputs.slice(0, e.baseInputs) as CpuView[];
  if (![gradOut!, w!].every((v) => v.dtype === "float32" && contiguous(v))) return false;
  const g = geometry("conv2dGradInput", listAttr("conv2dGradInput", e.baseAttrs, "inputShape"), w!.shape, e.baseAttrs);
  if (!g || !shapesEqual(gradOut!.shape, [g.N, g.OC, g.OH, g.OW]) || !gradInputRunsAsConv(g)) return false;
  // Only where conv2dGradInput itself runs the GEMM (conv2d.ts forward): a depthwise layer's takes the direct kernel.
  if (depthwiseTakes(gradInputConvProblem(g, 0, 0))) return false;
  // The GEMM's columns are an image's input positions (h·W + w), its rows the input channels.
  const plan = planConvEpilogue(call, e, g.H, g.W);
  return plan ? { e, g, plan } : false;
}

/**
 * conv2dGradInputEpilogue (float32) with the program applied in the GEMM's micro-kernel, where the
 * input gradient runs as a forward conv (a stride-1 layer with no more output than input channels,
 * conv2d-grad-input.ts): a training step's residual add and ReLU mask on dx then cost no pass of
 * their own. Returns false, having written nothing, for the rest — strided layers (col2im), depthwise
 * layers, extra inputs broadcast within a plane other than per channel, programs planEpilogue
 * refuses — which then run the product and the program as two passes.
 */
export function runConvGradInputEpilogue(call: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const { inputs, outputs, attrs } = call;
  let route = routes.get(attrs, inputs, outputs);
  if (route === undefined) route = routes.set(attrs, routeOf(call), inputs, outputs);
  if (route === false) return false;
  const { e, g, plan } = route;
  const ptrs = float32Addresses(inputs.slice(0, e.baseInputs) as CpuView[]);
  const extras = inputs.slice(e.baseInputs) as CpuView[];
  const outs = outputs as CpuView[];
  if (!ptrs || !inLoopBuffers(extras, outs)) return false;
  [g.gradOut, g.weight] = ptrs as [number, number];
  g.out = address(outs[plan.target]!)!;
  const epilogue = convForwardEpilogue(path, "conv", plan, extras, outs);
  return gradInputAsConv(path, g.gradOut, g, (problem) => {
    forwardGemm(path, record(problem, false), epilogue);
    return true;
  });
}
