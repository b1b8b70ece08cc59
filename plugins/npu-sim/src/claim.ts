import { isContiguous, type Device, type GraphView, type SubgraphClaim } from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";
import { compileChain, nativeKernel, runsOnChip } from "./claim-steps.ts";
import { npuOf } from "./device.ts";
import { edgeInt8Kernels, npuSimKernels } from "./kernels/index.ts";
import type { NpuRegistration } from "./kernels/registration.ts";

/** Names longer than this keep their first and last steps. */
const NAME_LIMIT = 96;

/**
 * Level 2 of the HAL for the simulated NPU: claims every maximal run of consecutive nodes the chip
 * runs without the host (native kernels, float casts, reshapes) that does some work (not only
 * views), and compiles each into launches with conv epilogues and pools fused. A claim's
 * intermediates live in DRAM (or, fused, only on chip); only its inputs and outputs cross the
 * host link. Nodes the chip has no kernel for (logSoftmax, normalisations, which decompose) end a run
 * and run op by op.
 */
export function claimSubgraphs(graph: GraphView, device: Device<HostBuffer>): SubgraphClaim<HostBuffer>[] {
  const npu = npuOf(device, "claimSubgraphs");
  // The kernels this chip has: an int8-only tensor unit has no float16 programs to claim.
  const kernels = npu.profile.fp16MacsPerCycle === 0 ? edgeInt8Kernels : npuSimKernels;
  const onChip = graph.nodes.map((node) => runsOnChip(graph, node, kernels));
  const claims: SubgraphClaim<HostBuffer>[] = [];
  for (let start = 0; start < graph.nodes.length; ) {
    if (!onChip[start]) {
      start++;
      continue;
    }
    let end = start;
    while (end < graph.nodes.length && onChip[end]) end++;
    const chain = Array.from({ length: end - start }, (_, k) => start + k);
    if (chain.some((i) => !["identity", "reshape", "flatten"].includes(graph.nodes[i]!.op))) claims.push(claimChain(graph, chain, kernels));
    start = end;
  }
  return claims;
}

function claimChain(graph: GraphView, chain: number[], kernels: readonly NpuRegistration[]): SubgraphClaim<HostBuffer> {
  const inside = new Set(chain);
  const produced = new Set(chain.flatMap((i) => graph.nodes[i]!.outputs));
  const inputs = [...new Set(chain.flatMap((i) => graph.nodes[i]!.inputs).filter((v) => v !== "" && !produced.has(v)))];
  const readOutside = new Set([...graph.outputs.map((o) => o.name), ...graph.nodes.flatMap((n, i) => (inside.has(i) ? [] : n.inputs))]);
  const outputs = [...produced].filter((v) => readOutside.has(v));
  const steps = compileChain(graph, chain, kernels);
  const names = steps.map((s) => s.name);
  const full = names.join(" → ");
  const name = full.length <= NAME_LIMIT ? full : `${names[0]} → … (${names.length} steps) → ${names[names.length - 1]}`;
  return {
    name,
    nodes: chain,
    inputs,
    outputs,
    run(launch, dev) {
      const npu = npuOf(dev, name);
      const env = new Map(inputs.map((v, k) => [v, launch.inputs[k]!]));
      // A strided input (a slice the engine passed as a view) is gathered into contiguous DRAM by the copy DMA first.
      for (const [v, view] of env) {
        if (isContiguous(view.shape, view.strides)) continue;
        const packed = launch.alloc(view.dtype, view.shape);
        npu.launch(nativeKernel("copy", view.dtype)!, { op: "copy", inputs: [view], outputs: [packed], attrs: {} });
        env.set(v, packed);
      }
      for (const step of steps) step.run(env, launch, npu);
      return outputs.map((v) => env.get(v)!);
    },
  };
}
