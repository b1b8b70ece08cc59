/** Helpers for the claim tests: hand-written graphs as the HAL's GraphView, and claims run the way a session runs them. */
import { contiguousStrides, type GraphView, type ProfileEvent, type SubgraphClaim, type TensorView } from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";
import { allocOutput, download, upload } from "@polychip/plugin-sdk/kit";
import { kernelFor, runNpu, tensor, type HostTensor } from "./test-support.ts";
import type { NpuSimDevice } from "./device.ts";

/** Graphs are built with the kit's own helpers, the ones its claim checks use. */
export { node as n, graphView } from "@polychip/plugin-sdk/kit";

/** Runs a claim on the device as a session would (inputs uploaded, memory from launch.alloc) and reads its outputs back. */
export async function runClaim(
  device: NpuSimDevice,
  claim: SubgraphClaim<HostBuffer>,
  tensors: Record<string, HostTensor>,
): Promise<{ outputs: Float64Array[]; events: ProfileEvent[] }> {
  const inputs = claim.inputs.map((name) => {
    const t = tensors[name]!;
    return upload(device, {
      dtype: t.dtype,
      shape: t.shape,
      strides: contiguousStrides(t.shape),
      offset: 0,
      storage: Array.from(t.values),
      layout: "contiguous",
    });
  });
  const allocated: TensorView<HostBuffer>[] = [];
  const events: ProfileEvent[] = [];
  device.setEventSink((e) => events.push(e));
  let views: readonly TensorView<HostBuffer>[];
  try {
    views = claim.run({ inputs, alloc: (dtype, shape) => (allocated.push(allocOutput(device, dtype, shape)), allocated[allocated.length - 1]!) }, device);
  } finally {
    device.setEventSink(undefined);
  }
  const outputs = [];
  for (const v of views) outputs.push(await download(device, v));
  for (const v of [...inputs, ...allocated]) device.free(v.buffer);
  return { outputs, events };
}

/**
 * The unclaimed execution of the same nodes on the chip: each HAL op through its own kernel, a
 * reshape as the same values; returns every value and the kernel statistics of each launch.
 */
export async function runOneByOne(
  device: NpuSimDevice,
  graph: GraphView,
  tensors: Record<string, HostTensor>,
): Promise<{ values: Map<string, HostTensor>; dmaBytes: number; simulatedMs: number }> {
  const env = new Map(Object.entries(tensors));
  let dmaBytes = 0;
  let simulatedMs = 0;
  for (const node of graph.nodes) {
    const out = graph.values.get(node.outputs[0]!)!;
    const ins = node.inputs.filter((v) => v !== "").map((v) => env.get(v)!);
    if (node.op === "reshape") {
      env.set(node.outputs[0]!, tensor(out.dtype, out.shape as number[], ins[0]!.values));
      continue;
    }
    kernelFor(node.op, ins[0]!.dtype); // the chip has it: the chain would not be claimed otherwise
    const r = await runNpu(device, node.op, ins, node.attrs);
    dmaBytes += r.stats.dmaBytes;
    simulatedMs += r.stats.simulatedMs;
    env.set(node.outputs[0]!, tensor(r.meta.dtype, r.meta.shape, r.values));
  }
  return { values: env, dmaBytes, simulatedMs };
}
