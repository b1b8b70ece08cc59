import { getOp, KernelRegistry, type Attrs, type Device, type DevicePlugin, type OpDef, type TensorMeta } from "@polychip/hal";
import { cpuPlugin } from "@polychip/device-cpu";
import type { TensorInput } from "./cases/types.ts";
import { contiguous } from "./cases/values.ts";
import { OpExecutor } from "./executor.ts";
import { allocOutput, download, upload } from "./tensors.ts";

/** A plugin's device with its kernels registered, ready to run single ops (decompositions too, when `decompose`). Call `dispose()` when done. */
export async function executorFor(plugin: DevicePlugin, options: { decompose?: boolean; deviceOptions?: unknown } = {}): Promise<OpExecutor<any>> {
  const device = (await plugin.create(options.deviceOptions as never)) as Device;
  const registry = new KernelRegistry();
  registry.registerAll(plugin.kernels);
  return new OpExecutor(device, registry, options.decompose ?? false);
}

/** The CPU reference device, answering composites it lacks through their decompositions. Dispose it when done: its worker threads keep a process alive. */
export function referenceExecutor(): Promise<OpExecutor<any>> {
  return executorFor(cpuPlugin, { decompose: true });
}

/** A host tensor for runOp: contiguous values, or a full TensorInput for strided layouts. */
export type HostTensor = { readonly dtype: TensorMeta["dtype"]; readonly shape: readonly number[]; readonly values: ArrayLike<number> } | TensorInput;

function toInput(t: HostTensor): TensorInput {
  return "values" in t ? contiguous(t.dtype, t.shape, Array.from(t.values)) : t;
}

/**
 * Runs one op on an executor's device and returns its output values. `op` may be an OpDef the
 * HAL does not hold (a proposed op): its kernel is looked up by name, or with `decompose` its
 * reference decomposition runs.
 */
export async function runOp(
  exec: OpExecutor<any>,
  op: string | OpDef,
  inputs: readonly HostTensor[],
  attrs: Attrs = {},
): Promise<{ values: Float64Array; meta: TensorMeta }> {
  const def = typeof op === "string" ? getOp(op) : op;
  const ins = inputs.map(toInput);
  const [meta] = def.infer(
    ins.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    attrs,
  );
  try {
    const views = ins.map((t) => exec.track(upload(exec.device, t)));
    const out = exec.track(allocOutput(exec.device, meta!.dtype, meta!.shape));
    if (typeof op !== "string" && !exec.hasKernel(def.name, (ins[0] ?? { dtype: meta!.dtype }).dtype)) exec.executeDecomposition(def, views, [out], attrs);
    else exec.execute(def.name, views, [out], attrs);
    await exec.device.sync();
    return { values: await download(exec.device, out), meta: meta! };
  } finally {
    exec.releaseAll();
  }
}
