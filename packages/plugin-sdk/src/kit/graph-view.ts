import {
  contiguousStrides,
  getOp,
  sizeOf,
  type Attrs,
  type Device,
  type DeviceBuffer,
  type DType,
  type GraphNodeView,
  type GraphValueView,
  type GraphView,
  type SubgraphClaim,
  type TensorView,
} from "@polychip/hal";
import { allocOutput, download, upload } from "./tensors.ts";

/** Host values of one graph value: row-major, float16 as values. */
export interface GraphTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: ArrayLike<number>;
}

/** A node with one output. */
export const node = (op: string, inputs: string[], output: string, attrs: Attrs = {}): GraphNodeView => ({ op, inputs, outputs: [output], attrs });

/** ONNX reshape from the attribute (0 copies a dim, -1 takes the rest). */
export function reshaped(shape: readonly number[], target: readonly number[]): number[] {
  const dims = target.map((d, i) => (d === 0 ? shape[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return dims.map((d) => (d === -1 ? sizeOf(shape) / known : d));
}

/**
 * A GraphView (what a session offers a plugin's claimSubgraphs) over concrete tensors: `inputs`
 * are graph inputs, `weights` constants; value types come from the HAL's infer (reshape and cast
 * by their attributes).
 */
export function graphView(
  inputs: Record<string, GraphTensor>,
  weights: Record<string, GraphTensor>,
  nodes: GraphNodeView[],
  outputs: string[],
  name = "test",
): GraphView {
  const values = new Map<string, GraphValueView>();
  for (const [key, t] of Object.entries({ ...inputs, ...weights })) values.set(key, { name: key, dtype: t.dtype, shape: t.shape });
  for (const n of nodes) {
    const metas = n.inputs.filter((v) => v !== "").map((v) => values.get(v)!);
    const out =
      n.op === "reshape"
        ? { dtype: metas[0]!.dtype, shape: reshaped(metas[0]!.shape as number[], n.attrs.shape as number[]) }
        : n.op === "cast"
          ? { dtype: n.attrs.to as DType, shape: metas[0]!.shape }
          : getOp(n.op).infer(metas as never, n.attrs)[0]!;
    values.set(n.outputs[0]!, { name: n.outputs[0]!, dtype: out.dtype, shape: out.shape });
  }
  return {
    name,
    inputs: Object.keys(inputs).map((k) => values.get(k)!),
    outputs: outputs.map((o) => values.get(o)!),
    nodes,
    values,
    constants: new Map(Object.entries(weights).map(([k, t]) => [k, Array.from(t.values)])),
  };
}

/**
 * Runs a claim on its device as a session would: inputs uploaded contiguous, memory from
 * launch.alloc, outputs read back; everything it allocated is freed afterwards.
 */
export async function runClaim<B extends DeviceBuffer>(
  device: Device<B>,
  claim: SubgraphClaim<B>,
  tensors: Record<string, GraphTensor>,
): Promise<Float64Array[]> {
  const inputs = claim.inputs.map((name) => {
    const t = tensors[name];
    if (!t) throw new Error(`claim '${claim.name}' reads '${name}', which the graph does not have`);
    return upload(device, {
      dtype: t.dtype,
      shape: t.shape,
      strides: contiguousStrides(t.shape),
      offset: 0,
      storage: Array.from(t.values),
      layout: "contiguous",
    });
  });
  const allocated: TensorView<B>[] = [];
  try {
    const views = claim.run({ inputs, alloc: (dtype, shape) => (allocated.push(allocOutput(device, dtype, shape)), allocated[allocated.length - 1]!) }, device);
    await device.sync();
    const outputs: Float64Array[] = [];
    for (const v of views) outputs.push(await download(device, v));
    return outputs;
  } finally {
    for (const v of [...inputs, ...allocated]) device.free(v.buffer);
  }
}
