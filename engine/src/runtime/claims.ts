import { DeviceError, KernelError, describeTensors, planStructural, type DeviceBuffer, type GraphView, type SubgraphClaim } from "@polychip/hal";
import { allocate } from "../core/dispatch.ts";
import type { DeviceEntry } from "../core/devices.ts";
import { profiler } from "../core/profiler.ts";
import type { Storage } from "../core/storage.ts";
import { toKernelView, type RawView } from "../core/view.ts";
import { inferShapes } from "../graph/infer-shapes.ts";
import type { Graph } from "../graph/ir.ts";

/** A claim the session accepted, with where it runs. */
export interface PlannedClaim {
  readonly claim: SubgraphClaim;
  /** The index of its first node: the claim runs there, in place of all its nodes. */
  readonly first: number;
}

/**
 * Level 2 of the HAL: the graph offered to the session device's plugin, and the claims it made,
 * checked so that running each claim at its first node computes exactly what its nodes would.
 */
export class ClaimSchedule {
  private readonly starts = new Map<number, PlannedClaim>();
  private readonly claimed = new Set<number>();

  constructor(readonly claims: readonly PlannedClaim[]) {
    for (const c of claims) {
      this.starts.set(c.first, c);
      for (const i of c.claim.nodes) this.claimed.add(i);
    }
  }

  /** The claim that runs at node `index`, if one starts there. */
  startingAt(index: number): PlannedClaim | undefined {
    return this.starts.get(index);
  }

  isClaimed(index: number): boolean {
    return this.claimed.has(index);
  }
}

/** The HAL's view of a graph: nodes, inferred value types, and host values of weights and constants. */
export function graphView(graph: Graph): GraphView {
  const constants = new Map<string, ArrayLike<number>>();
  for (const init of graph.initializers) constants.set(init.name, init.data);
  for (const node of graph.nodes) {
    if (node.op !== "constant") continue;
    const [plan] = planStructural("constant", { extra: [], attrs: node.attrs, outputCount: 1 });
    if (plan?.kind === "value") constants.set(node.outputs[0]!, plan.values);
  }
  return { name: graph.name, inputs: graph.inputs, outputs: graph.outputs, nodes: graph.nodes, values: inferShapes(graph), constants };
}

/**
 * Offers the graph to the device's plugin when it has a `claimSubgraphs` hook and returns the
 * checked claims (undefined without a hook). Each accepted claim is reported to the profiler as a
 * `compile` event.
 */
export function offerGraph(graph: Graph, entry: DeviceEntry): ClaimSchedule | undefined {
  const hook = entry.plugin.claimSubgraphs;
  if (!hook) return undefined;
  const view = graphView(graph);
  const started = performance.now();
  let claims: readonly SubgraphClaim[];
  try {
    claims = hook(view, entry.device);
  } catch (err) {
    throw new DeviceError(`plugin '${entry.plugin.name}': claimSubgraphs failed on graph '${graph.name}': ${(err as Error)?.message ?? err}`);
  }
  const duration = performance.now() - started;
  if (!Array.isArray(claims)) throw new DeviceError(`plugin '${entry.plugin.name}': claimSubgraphs must return an array of claims, got ${typeof claims}`);
  const taken = new Set<number>();
  const planned = claims.map((claim) => checkClaim(graph, entry.plugin.name, claim, taken));
  for (const { claim } of planned) {
    const ops = claim.nodes.map((i) => graph.nodes[i]!.op).join(",");
    profiler.emit({
      device: entry.name,
      name: claim.name,
      category: "compile",
      start: started,
      duration: duration / planned.length,
      args: { nodes: claim.nodes.length, ops },
    });
  }
  return new ClaimSchedule(planned);
}

/**
 * A claim must name nodes no other claim took, read only values that exist before its first node,
 * and return every value it produces that anything outside it reads (graph outputs included).
 */
function checkClaim(graph: Graph, plugin: string, claim: SubgraphClaim, taken: Set<number>): PlannedClaim {
  const fail = (msg: string): never => {
    throw new DeviceError(`plugin '${plugin}': claim '${claim?.name}' ${msg}`);
  };
  if (!claim || typeof claim.run !== "function" || !Array.isArray(claim.nodes) || !Array.isArray(claim.inputs) || !Array.isArray(claim.outputs)) {
    fail("is not a SubgraphClaim {name, nodes, inputs, outputs, run}");
  }
  const nodes = claim.nodes;
  if (nodes.length === 0) fail("claims no nodes");
  nodes.forEach((n, k) => {
    if (!Number.isInteger(n) || n < 0 || n >= graph.nodes.length) fail(`names node ${n}, but the graph has nodes 0..${graph.nodes.length - 1}`);
    if (k > 0 && n <= nodes[k - 1]!) fail(`lists its nodes out of order (${nodes.join(", ")}); they must ascend`);
    if (taken.has(n)) fail(`claims node ${n}, which another claim already took`);
  });
  nodes.forEach((n) => taken.add(n));
  const first = nodes[0]!;
  const inside = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => graph.nodes[n]!.outputs));
  const availableBefore = new Set([...graph.inputs.map((v) => v.name), ...graph.initializers.map((i) => i.name)]);
  graph.nodes.forEach((node, i) => {
    if (i < first || (node.op === "constant" && !inside.has(i))) node.outputs.forEach((o) => availableBefore.add(o));
  });
  const reads = new Set(nodes.flatMap((n) => graph.nodes[n]!.inputs).filter((name) => name !== "" && !produced.has(name)));
  for (const name of reads) if (!claim.inputs.includes(name)) fail(`reads %${name} but does not list it among its inputs`);
  for (const name of claim.inputs) {
    if (!reads.has(name)) fail(`lists input %${name}, which none of its nodes reads from outside`);
    if (!availableBefore.has(name)) fail(`reads %${name}, which is computed only after its first node (${first}); a claim runs where its first node stands`);
  }
  const neededOutside = new Set(graph.outputs.map((o) => o.name).filter((name) => produced.has(name)));
  graph.nodes.forEach((node, i) => {
    if (!inside.has(i)) for (const name of node.inputs) if (produced.has(name)) neededOutside.add(name);
  });
  for (const name of neededOutside) if (!claim.outputs.includes(name)) fail(`produces %${name}, which is read outside the claim, but does not return it`);
  for (const name of claim.outputs) if (!produced.has(name)) fail(`returns %${name}, which none of its nodes produces`);
  return { claim, first };
}

/**
 * Runs one claim on its device as a unit: the inputs are device views already there, memory the
 * claim asks for is allocated through the engine (so it is accounted and freed), and only the
 * returned views survive the call — intermediates never leave the device.
 */
export function runClaim(planned: PlannedClaim, inputs: readonly RawView[], entry: DeviceEntry): RawView[] {
  const { claim } = planned;
  const owners = new Map<DeviceBuffer, Storage>();
  for (const v of inputs) owners.set(v.storage.buffer, v.storage);
  const scratch: RawView[] = [];
  const launch = {
    inputs: inputs.map(toKernelView),
    alloc: (dtype: RawView["dtype"], shape: readonly number[]) => {
      const v = allocate(entry, dtype, shape);
      scratch.push(v);
      owners.set(v.storage.buffer, v.storage);
      return toKernelView(v);
    },
  };
  try {
    let views;
    try {
      views = claim.run(launch, entry.device);
    } catch (err) {
      const shapes = describeTensors(inputs);
      throw new KernelError(
        `plugin ${entry.plugin.name}: claim '${claim.name}' on '${entry.name}' failed for inputs ${shapes}: ${(err as Error)?.message ?? err}`,
      );
    }
    if (!Array.isArray(views) || views.length !== claim.outputs.length) {
      throw new KernelError(
        `plugin ${entry.plugin.name}: claim '${claim.name}' returned ${Array.isArray(views) ? views.length : "no"} views for its ${claim.outputs.length} outputs`,
      );
    }
    const storages = views.map((v, k) => {
      const storage = owners.get(v.buffer);
      if (!storage)
        throw new KernelError(
          `plugin ${entry.plugin.name}: claim '${claim.name}' returned output %${claim.outputs[k]} in memory it did not get from launch.alloc or its inputs`,
        );
      return storage;
    });
    return views.map((v, k) => ({ storage: storages[k]!.retain(), dtype: v.dtype, shape: [...v.shape], strides: [...v.strides], offset: v.offset }));
  } finally {
    for (const v of scratch) v.storage.release();
  }
}
