import { parseEpilogue, type Epilogue } from "@polychip/hal";
import type { FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { CpuView } from "../views.ts";
import { runConvEpilogue } from "./conv2d-epilogue.ts";
import { runConvGradInputEpilogue } from "./conv2d-grad-input-epilogue.ts";
import { runConvNhwcEpilogue } from "./conv2d-nhwc-epilogue.ts";
import { runMatmul, type MatmulEpilogueRun } from "./matmul.ts";
import { LayoutMemo } from "../layout-memo.ts";
import { epilogueModule, inLoopBuffers, planEpilogue, writeDescriptor, type EpiloguePlan } from "./matmul-epilogue-plan.ts";
import { address, fastPathOf, float32Addresses } from "./support.ts";

/** How a matmulEpilogue call runs for its attrs and layouts, kept between runs. */
interface MatmulRoute {
  readonly e: Epilogue;
  readonly plan: EpiloguePlan;
  /** Each extra input's strides along the batch dimensions. */
  readonly batchStrides: readonly (readonly number[])[];
  /** Whether the program only adds a bias along the columns (the few-row dot-product path runs it too). */
  readonly bias: boolean;
  readonly kept: MatmulEpilogueRun["kept"];
}

const routes = new LayoutMemo<MatmulRoute | false>();

/** product + bias (either order), the bias advancing along the columns only, into the one output. */
function biasOnly(e: Epilogue, plan: EpiloguePlan, outputs: number): boolean {
  const { steps, outputs: written } = e.program;
  const step = steps[0];
  const strides = plan.strides[0];
  return (
    outputs === 1 &&
    plan.strides.length === 1 &&
    steps.length === 1 &&
    step!.op === "add" &&
    step!.args.length === 2 &&
    step!.args.includes(0) &&
    step!.args.includes(1) &&
    written.length === 1 &&
    written[0] === 2 &&
    strides!.every((s, d) => s === (d === strides!.length - 1 ? 1 : 0))
  );
}

/**
 * matmulEpilogue (float32) with the program applied in the GEMM's micro-kernel (see
 * conv2d-epilogue.ts for the conv). An extra input may broadcast over batch dimensions freely; along
 * the last two it must advance with the columns or be constant along them (a [N] bias, a [M, 1]
 * scale, a residual). A few rows against Wᵀ (the dot-product path) take only a bias. Returns
 * false, having written nothing, for anything else.
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
    const planned: MatmulRoute | false = plan
      ? { e, plan, batchStrides: plan.strides.map((s) => s.slice(0, -2)), bias: biasOnly(e, plan, outputs.length), kept: {} }
      : false;
    route = routes.set(attrs, planned, inputs, outputs);
  }
  if (route === false) return false;
  const { e, plan } = route;
  const [a, b] = inputs as CpuView[];
  const extras = inputs.slice(e.baseInputs) as CpuView[];
  const outs = outputs as CpuView[];
  if (!inLoopBuffers(extras, outs)) return false;
  const rt = path.runtime;
  const y = outs[plan.target]!;
  // The epilogue is built only for the GEMM (inline: a named closure would be renamed on every call under tsx).
  const bias = route.bias ? address(extras[0]!) : undefined;
  const taken = runMatmul(
    a!,
    b!,
    y,
    e.baseAttrs,
    path,
    (): MatmulEpilogueRun => ({
      module: epilogueModule(rt, "matmul", plan),
      batchStrides: route.batchStrides,
      descriptorBytes: plan.descriptorBytes,
      writeDescriptor: (at) => writeDescriptor(rt.i32, at, plan, extras, outs, (s) => [0, s[s.length - 2]!]),
      kept: route.kept,
    }),
    bias,
  );
  // With its operands in the WASM memory, runMatmul declines for their layouts alone (a few rows on
  // the dot-product kernel with a program other than a bias; K or the output empty): remember
  // that, so the next run of these layouts goes straight to the fallback without building the epilogue again.
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
