/** Helpers for npu-sim's own tests: run one kernel on a fresh simulated chip and read back values and cost. */
import { getOp, type Attrs, type DType, type KernelFn, type OpDef, type TensorMeta } from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";
import { allocOutput, download, upload, type OpExecutor } from "@polychip/plugin-sdk/kit";
import type { KernelStats } from "./chip/tile-program.ts";
import { NpuSimDevice } from "./device.ts";
import { npuSimKernels, pendingHalKernels } from "./kernels/index.ts";
import type { ChipProfile } from "./profile.ts";

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

export const tensor = (dtype: DType, shape: readonly number[], values: ArrayLike<number>): HostTensor => ({ dtype, shape, values });

/** Deterministic values in [lo, hi). */
export function ramp(n: number, lo = -1, hi = 1, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 16777216) * (hi - lo);
  });
}

export function kernelFor(op: string, dtype: DType): KernelFn<HostBuffer> {
  const reg = [...npuSimKernels, ...pendingHalKernels].find((r) => r.op === op && (r.dtypes === "*" || r.dtypes.includes(dtype)));
  if (!reg) throw new Error(`test bug: npu-sim has no ${op} kernel for ${dtype}`);
  return reg.kernel;
}

/** Runs `op` (a HAL op name or a proposed OpDef) on `device` and returns the output values and the kernel's cost. */
export async function runNpu(
  device: NpuSimDevice,
  op: string | OpDef,
  inputs: readonly HostTensor[],
  attrs: Attrs = {},
): Promise<{ values: Float64Array; meta: TensorMeta; stats: KernelStats }> {
  const def = typeof op === "string" ? getOp(op) : op;
  const [meta] = def.infer(
    inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    attrs,
  );
  const views = inputs.map((t) =>
    upload(device, { dtype: t.dtype, shape: t.shape, strides: contiguous(t.shape), offset: 0, storage: Array.from(t.values), layout: "contiguous" }),
  );
  const out = allocOutput(device, meta!.dtype, meta!.shape);
  try {
    device.launch(kernelFor(def.name, inputs[0]!.dtype), { op: def.name, inputs: views, outputs: [out], attrs });
    await device.sync();
    return { values: await download(device, out), meta: meta!, stats: device.lastKernel! };
  } finally {
    for (const v of [...views, out]) device.free(v.buffer);
  }
}

function contiguous(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function chip(profile: Partial<ChipProfile> = {}): NpuSimDevice {
  return new NpuSimDevice({ profile });
}

/**
 * Runs `op` on an executor's device (kernel, or its decomposition when the executor decomposes) and
 * reads back every output: for multi-output composites (`fused`, epilogues) that the kit's runOp, which
 * returns the first output, does not cover.
 */
export async function runAllOutputs(exec: OpExecutor<any>, op: string, inputs: readonly HostTensor[], attrs: Attrs = {}): Promise<Float64Array[]> {
  const metas = getOp(op).infer(
    inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    attrs,
  );
  try {
    const views = inputs.map((t) =>
      exec.track(
        upload(exec.device, { dtype: t.dtype, shape: t.shape, strides: contiguous(t.shape), offset: 0, storage: Array.from(t.values), layout: "contiguous" }),
      ),
    );
    const outs = metas.map((m) => exec.track(allocOutput(exec.device, m.dtype, m.shape)));
    exec.execute(op, views, outs, attrs);
    await exec.device.sync();
    const values: Float64Array[] = [];
    for (const o of outs) values.push(await download(exec.device, o));
    return values;
  } finally {
    exec.releaseAll();
  }
}

/** Asserts |actual - expected| <= atol + rtol·|expected| element by element (NaNs must match), naming the first miss. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (Number.isNaN(e) ? !Number.isNaN(a) : !(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
