/**
 * Test helpers for the in-loop GEMM epilogues (conv2d-epilogue.ts, matmul-epilogue.ts): run one
 * epilogue call on the in-loop path alone, saying whether it took the call, and the same call as
 * its GEMM then its program (what the epilogue kernel runs when the in-loop path declines).
 */
import { contiguousStrides, getOp, parseEpilogue, type Attrs } from "@polychip/hal";
import type { CpuDevice } from "../../device.ts";
import { EPILOGUE_PROGRAMS } from "../../epilogue-examples.ts";
import type { CpuKernel } from "../../kernels/registration.ts";
import { runOp, t, type HostInput } from "../../testing.ts";
import { download, uploadView } from "../../upload.ts";
import type { CpuView } from "../../views.ts";
import type { FastPath } from "../../device.ts";

export type InLoopRunner = (call: Parameters<CpuKernel>[0], path: FastPath) => boolean;

/** Seeded values in [-1, 1), float32-exact. */
export function values(n: number, seed: number): number[] {
  let s = seed * 7919 + 17;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.fround((s / 2147483648) * 2 - 1);
  });
}

export const tensor = (shape: number[], seed: number): HostInput =>
  t(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

/** The outputs of `run` on `device`'s fast path, or undefined when it declined (outputs then untouched). */
export function runInLoop(run: InLoopRunner, op: string, inputs: readonly HostInput[], attrs: Attrs, device: CpuDevice): number[][] | undefined {
  const views = inputs.map((i) => uploadView(device, i));
  const metas = getOp(op).infer(views, attrs);
  const outputs: CpuView[] = metas.map((m) => ({
    buffer: device.alloc(Math.max(4, m.shape.reduce((a, b) => a * b, 1) * 4)),
    dtype: m.dtype,
    shape: m.shape,
    strides: contiguousStrides(m.shape),
    offset: 0,
  }));
  try {
    // Through launch, as the engine runs kernels: the device then knows the outputs were written.
    let taken = false;
    device.launch((call) => void (taken = run(call, device.fast!)), { op, inputs: views, outputs, attrs });
    if (!taken) return undefined;
    return outputs.map((y) =>
      Array.from(
        download(
          device,
          y.buffer,
          y.dtype,
          y.shape.reduce((a, b) => a * b, 1),
        ),
      ),
    );
  } finally {
    for (const v of [...views, ...outputs]) device.free(v.buffer);
  }
}

/** The epilogue as two ops on `device`: its GEMM, then its program as one `fused` op over [product, extras...]. */
export function twoPass(op: string, inputs: readonly HostInput[], attrs: Attrs, device: CpuDevice): number[][] {
  const e = parseEpilogue(op, attrs, inputs.length);
  const [product] = runOp(e.base, inputs.slice(0, e.baseInputs), e.baseAttrs, { device });
  return runOp("fused", [product!, ...inputs.slice(e.baseInputs)], e.fusedAttrs, { device }).map((o) => Array.from(o.values));
}

type Step = { op: string; args: number[]; value?: number };
const c = (value: number): Step => ({ op: "const", args: [], value });
const example = (name: string) => ({ ...EPILOGUE_PROGRAMS[name]!, extra: EPILOGUE_PROGRAMS[name]!.extra !== undefined });

/** Programs over value 0 (the product) and, where `extra` says so, value 1 (an extra input). */
export const PROGRAMS: Readonly<Record<string, { steps: Step[]; outputs: number[]; extra: boolean }>> = {
  relu: example("relu"),
  "clip 0..6": { steps: [c(0), { op: "maximum", args: [0, 1] }, c(6), { op: "minimum", args: [2, 3] }], outputs: [4], extra: false },
  hardswish: example("hardswish"),
  "leaky relu (a compare and a where)": {
    steps: [c(0), { op: "greater", args: [0, 1] }, c(0.1), { op: "mul", args: [0, 3] }, { op: "where", args: [2, 0, 4] }],
    outputs: [5],
    extra: false,
  },
  "add then relu": example("residual add + relu"),
  "scale by an input": { steps: [{ op: "mul", args: [1, 0] }], outputs: [2], extra: true },
  "relu keeping the product": example("relu keeping the product"),
  "swish (sigmoid, then mul)": {
    steps: [
      { op: "sigmoid", args: [0] },
      { op: "mul", args: [0, 1] },
    ],
    outputs: [2],
    extra: false,
  },
  "tanh plus an input": {
    steps: [
      { op: "tanh", args: [0] },
      { op: "add", args: [2, 1] },
    ],
    outputs: [3],
    extra: true,
  },
};

export const programAttrs = (name: string): Attrs => ({ program: JSON.stringify(PROGRAMS[name]!.steps), outputs: PROGRAMS[name]!.outputs });
