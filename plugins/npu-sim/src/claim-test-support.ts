/** Helpers for the claim tests: hand-written graphs as the HAL's GraphView, and claims run the way a session runs them. */
import {
  contiguousStrides, getOp, sizeOf, type Attrs, type DType, type GraphNodeView, type GraphValueView, type GraphView, type ProfileEvent,
  type SubgraphClaim, type TensorView,
} from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";
import { allocOutput, download, upload } from "@polychip/plugin-sdk/kit";
import { kernelFor, runNpu, tensor, type HostTensor } from "./test-support.ts";
import type { NpuSimDevice } from "./device.ts";

export const n = (op: string, inputs: string[], output: string, attrs: Attrs = {}): GraphNodeView => ({ op, inputs, outputs: [output], attrs });

/** ONNX reshape from the attribute (0 copies a dim, -1 takes the rest). */
function reshaped(shape: readonly number[], target: readonly number[]): number[] {
  const dims = target.map((d, i) => (d === 0 ? shape[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return dims.map((d) => (d === -1 ? sizeOf(shape) / known : d));
}

/** A GraphView over concrete tensors: `inputs` are the graph inputs, `weights` constants; value types come from the HAL's infer. */
export function graphView(inputs: Record<string, HostTensor>, weights: Record<string, HostTensor>, nodes: GraphNodeView[], outputs: string[]): GraphView {
  const values = new Map<string, GraphValueView>();
  for (const [name, t] of Object.entries({ ...inputs, ...weights })) values.set(name, { name, dtype: t.dtype, shape: t.shape });
  for (const node of nodes) {
    const metas = node.inputs.filter((v) => v !== "").map((v) => values.get(v)!);
    const out =
      node.op === "reshape" ? { dtype: metas[0]!.dtype, shape: reshaped(metas[0]!.shape as number[], node.attrs.shape as number[]) }
      : node.op === "cast" ? { dtype: node.attrs.to as DType, shape: metas[0]!.shape }
      : getOp(node.op).infer(metas as never, node.attrs)[0]!;
    values.set(node.outputs[0]!, { name: node.outputs[0]!, dtype: out.dtype, shape: out.shape });
  }
  return {
    name: "test",
    inputs: Object.keys(inputs).map((k) => values.get(k)!),
    outputs: outputs.map((o) => values.get(o)!),
    nodes,
    values,
    constants: new Map(Object.entries(weights).map(([k, t]) => [k, Array.from(t.values)])),
  };
}

/** Runs a claim on the device as a session would (inputs uploaded, memory from launch.alloc) and reads its outputs back. */
export async function runClaim(device: NpuSimDevice, claim: SubgraphClaim<HostBuffer>, tensors: Record<string, HostTensor>): Promise<{ outputs: Float64Array[]; events: ProfileEvent[] }> {
  const inputs = claim.inputs.map((name) => {
    const t = tensors[name]!;
    return upload(device, { dtype: t.dtype, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0, storage: Array.from(t.values), layout: "contiguous" });
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
export async function runOneByOne(device: NpuSimDevice, graph: GraphView, tensors: Record<string, HostTensor>): Promise<{ values: Map<string, HostTensor>; dmaBytes: number; simulatedMs: number }> {
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
