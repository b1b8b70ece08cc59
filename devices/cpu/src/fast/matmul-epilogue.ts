import { parseEpilogue, type Epilogue } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { runConvEpilogue } from "./conv2d-epilogue.ts";
import { runConvGradInputEpilogue } from "./conv2d-grad-input-epilogue.ts";
import { runConvNhwcEpilogue } from "./conv2d-nhwc-epilogue.ts";
import { runMatmul } from "./matmul.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { epilogueModule, inLoopBuffers, planEpilogue, writeDescriptor, type EpiloguePlan } from "./matmul-epilogue-plan.ts";
import { fastPathOf, float32Addresses } from "./support.ts";

const routes = new LayoutMemo<{ readonly e: Epilogue; readonly plan: EpiloguePlan } | false>();

/**
 * matmulEpilogue (float32) with the program applied in the GEMM's micro-kernel (see
 * conv2d-epilogue.ts for the conv). An extra input may broadcast over batch dimensions freely; along
 * the last two it must advance with the columns or be constant along them (a [N] bias, a [M, 1]
 * scale, a residual). Returns false, having written nothing, for anything else.
 */
export function runMatmulEpilogue(call: Parameters<CpuKernel>[0], path: FastPath): boolean {
  const { inputs, outputs, attrs } = call;
  let route = routes.get(attrs, inputs, outputs);
  if (route === undefined) {
    const e = parseEpilogue("matmulEpilogue", attrs, inputs.length);
    const columns = outputs[0]!.shape.at(-1)!;
    const plan = planEpilogue(call, e, (s) => {
      const along = s.at(-1)!;
      if (columns === 1 || along === 0) return false;
      return along === 1 ? true : undefined;
    });
    route = routes.set(attrs, plan ? { e, plan } : false, inputs, outputs);
  }
  if (route === false) return false;
  const { e, plan } = route;
  const [a, b] = inputs as CpuView[];
  const extras = inputs.slice(e.baseInputs) as CpuView[];
  const outs = outputs as CpuView[];
  if (!inLoopBuffers(extras, outs)) return false;
  const rt = path.runtime;
  const y = outs[plan.target]!;
  const taken = runMatmul(a!, b!, y, e.baseAttrs, path, {
    module: epilogueModule(rt, "matmul", plan),
    batchStrides: plan.strides.map((s) => s.slice(0, -2)),
    descriptorBytes: plan.descriptorBytes,
    writeDescriptor: (at) => writeDescriptor(rt.i32, at, plan, extras, outs, (s) => [0, s[s.length - 2]!]),
  });
  // With its operands in the WASM memory, runMatmul declines for their layouts alone (a few rows on
  // the dot-product kernel, which has no epilogue; K or the output empty): remember that, so the
  // next run of these layouts goes straight to the fallback without building the epilogue again.
  if (!taken && float32Addresses([a, b, y])) routes.set(attrs, false, inputs, outputs);
  return taken;
}

const IN_LOOP: Readonly<Record<string, (call: Parameters<CpuKernel>[0], path: FastPath) => boolean>> = {
  conv2dEpilogue: runConvEpilogue,
  matmulEpilogue: runMatmulEpilogue,
  conv2dNhwcEpilogue: runConvNhwcEpilogue,
  conv2dGradInputEpilogue: runConvGradInputEpilogue,
};

/**
 * The epilogue registrations with the in-loop path in front for float32: the ops of IN_LOOP try it
 * first and run the registration's kernel (the product, then the program over it) when it
 * declines; other ops and dtypes are unchanged.
 */
export function withInLoopEpilogues(registrations: readonly CpuRegistration[]): CpuRegistration[] {
  return registrations.map((reg) => {
    const inLoop = IN_LOOP[reg.op];
    if (!inLoop) return reg;
    const fallback = reg.kernel;
    return {
      ...reg,
      kernel: (call, device) => {
        const path = call.inputs[0]?.dtype === "float32" ? fastPathOf(device) : undefined;
        if (path && inLoop(call, path)) return;
        fallback(call, device);
      },
    };
  });
}
