import { isFloat, type Device, type DevicePlugin, type DType, type GraphView } from "@polychip/hal";
import { claimCorpus, type CorpusGraph } from "./claim-corpus.ts";
import { compareValues, toleranceFor } from "./compare.ts";
import type { OpExecutor } from "./executor.ts";
import type { GraphTensor } from "./graph-view.ts";
import { runClaim } from "./graph-view.ts";
import { runOp } from "./run-op.ts";

/** One claim a plugin made on a corpus graph, checked against the same nodes run op by op on the reference. */
export interface ClaimRecord {
  readonly graph: string;
  readonly dtype: DType;
  readonly claim: string;
  readonly status: "pass" | "fail";
  readonly maxError: number | null;
  readonly message?: string;
}

/** Every value of a graph computed node by node on the reference (reshape keeps the values). */
async function referenceValues(oracle: OpExecutor<any>, graph: GraphView, tensors: Record<string, GraphTensor>): Promise<Record<string, GraphTensor>> {
  const env: Record<string, GraphTensor> = { ...tensors };
  for (const n of graph.nodes) {
    const out = graph.values.get(n.outputs[0]!)!;
    const ins = n.inputs.filter((v) => v !== "").map((v) => env[v]!);
    if (n.op === "reshape") {
      env[n.outputs[0]!] = { ...ins[0]!, shape: out.shape as number[] };
      continue;
    }
    const { values, meta } = await runOp(oracle, n.op, ins, n.attrs);
    env[n.outputs[0]!] = { dtype: meta.dtype, shape: meta.shape, values };
  }
  return env;
}

async function checkOne(plugin: DevicePlugin, device: Device, oracle: OpExecutor<any>, dtype: DType, item: CorpusGraph): Promise<ClaimRecord[]> {
  const claims = plugin.claimSubgraphs!(item.graph, device);
  if (claims.length === 0) return [];
  const want = await referenceValues(oracle, item.graph, item.tensors);
  const records: ClaimRecord[] = [];
  for (const claim of claims) {
    const base = { graph: item.graph.name, dtype, claim: claim.name };
    let got: Float64Array[];
    try {
      got = await runClaim(device, claim, want);
    } catch (err) {
      records.push({ ...base, status: "fail", maxError: null, message: `its program threw: ${(err as Error).name}: ${(err as Error).message}` });
      continue;
    }
    let maxError = 0;
    let failure: string | undefined;
    claim.outputs.forEach((name, i) => {
      const expected = want[name]!;
      const cmp = compareValues(expected.dtype, got[i]!, Float64Array.from(expected.values), toleranceFor(expected.dtype, item.accumulation));
      maxError = Math.max(maxError, cmp.maxError);
      if (!cmp.ok && !failure)
        failure = `output %${name}: ${cmp.mismatches} of ${expected.values.length} elements differ from op-by-op cpu; first at ${cmp.first!.index}: got ${cmp.first!.got}, want ${cmp.first!.want}`;
    });
    records.push(failure ? { ...base, status: "fail", maxError, message: failure } : { ...base, status: "pass", maxError });
  }
  return records;
}

/**
 * Offers every corpus graph, at each float dtype the device declares, to the plugin's
 * claimSubgraphs and checks each claim's outputs against the op-by-op CPU results.
 */
export async function checkClaims(plugin: DevicePlugin, device: Device, oracle: OpExecutor<any>, dtypes: readonly DType[]): Promise<ClaimRecord[]> {
  if (!plugin.claimSubgraphs) return [];
  const records: ClaimRecord[] = [];
  for (const dtype of dtypes.filter(isFloat)) {
    for (const item of claimCorpus(dtype)) records.push(...(await checkOne(plugin, device, oracle, dtype, item)));
  }
  return records;
}
