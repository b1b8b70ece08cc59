import {
  DeviceError,
  getOp,
  OutOfMemoryError,
  planStructural,
  sizeOf,
  type DType,
  type StructuralOp,
  type StructuralPlan,
  type TensorMeta,
} from "@polychip/hal";
import { BoundedCache } from "../core/bounded-cache.ts";
import { defaultDevice, findKernel, getDeviceEntry, useDevice } from "../core/devices.ts";
import { fromHost, readView, runOp, shareView } from "../core/dispatch.ts";
import { noteClaimRanOpByOp } from "../core/fallback.ts";
import { activeLazyRecorder } from "../core/lazy-hook.ts";
import { hasOpObserver } from "../core/op-observer.ts";
import { decodeHost } from "../core/host.ts";
import type { RawView } from "../core/view.ts";
import { isStructuralOp, type Graph, type GraphNode, type ValueInfo } from "../graph/ir.ts";
import { inferShapes } from "../graph/infer-shapes.ts";
import { loadTimePasses } from "../graph/passes/index.ts";
import { atNode, describeNode } from "../graph/node-error.ts";
import { setLaunchOrigin } from "../core/launch-origin.ts";
import { validateGraph } from "../graph/validate.ts";
import { checkPlanned, formatBytes, memoryBudget, planPeak, plannedBytes, type MemoryBudget } from "./budget.ts";
import { offerGraph, runClaim, type ClaimSchedule, type PlannedClaim } from "./claims.ts";
import { checkInputs, isRawView, placeInput, writeInput, type HostOutput, type RuntimeInput } from "./inputs.ts";
import { LiveBytes } from "./live-bytes.ts";
import { NodeMemo } from "./node-memo.ts";
import { readOutputs } from "./read-outputs.ts";
import { RepeatedRun } from "./repeat-run.ts";
import { RunPlan } from "./run-plan.ts";
import type { SharedWeights } from "./shared-weights.ts";
import { placedLayouts, runSignature } from "./run-signature.ts";
import { applyStructural } from "./structural-exec.ts";
import { readsOnlyHeld, WEIGHT_ONLY_LIMIT, weightOnlyKey } from "./weight-only.ts";

export { readHost } from "./read-outputs.ts";

export interface SessionOptions {
  /** Device name ("cpu", "webgpu", "npu-sim", a plugin's name); loaded on first use. Default: the default device. */
  readonly device?: string;
  /** Offer the graph to the device's plugin for subgraph claiming, when it has the hook (default true). */
  readonly claimSubgraphs?: boolean;
  /** Overrides the memory budget (default: the device's limits, capped at half the host's memory). */
  readonly memoryBudget?: Partial<MemoryBudget>;
  /**
   * Run chains of elementwise ops as one `fused` kernel each (graph/passes/fuse-elementwise.ts),
   * and GEMM epilogues where the device has their kernels. Default true, except on a device whose
   * plugin claims subgraphs without `claimsFusedGroups`: its claims are offered the graph as written.
   */
  readonly fuse?: boolean;
  /**
   * From the second run with the same input shapes, run a plan resolved once for them (run-plan.ts)
   * instead of dispatching node by node (default true; false is the node-by-node path, for comparison).
   */
  readonly runPlans?: boolean;
  /**
   * Uploads the initializers through this cache: sessions of one model given the same one share
   * the device buffer of every initializer whose host values are the same array (an ONNX session's
   * plans per input shape). Each session still holds its own reference and frees it on dispose.
   */
  readonly weights?: SharedWeights;
}

/** Small initializers and constants are also kept on the host: shape arithmetic reads them without a device round trip. */
const HOST_COPY_LIMIT = 4096;

/** How many input signatures a session remembers (a plan each, or that it ran once); the oldest is dropped. */
const MAX_SIGNATURES = 8;

/**
 * A graph ready to run on one device: validated, its initializers uploaded once, and the number
 * of readers of every value counted so each intermediate is freed as soon as its last reader ran.
 */
export class Session {
  private readonly held = new Map<string, RawView>();
  private readonly hostValues = new Map<string, readonly number[]>();
  private readonly readers = new Map<string, number>();
  /** Bytes the running graph holds now (initializers, inputs, live intermediates). */
  private plannedLive: () => number = () => this.heldBytes();
  /** Each HAL node's output shapes as last inferred, and each structural node's plans, reused while its inputs keep their shapes. */
  private readonly inferred = new NodeMemo<readonly TensorMeta[]>(false);
  private readonly structural = new NodeMemo<{ readonly plans: readonly StructuralPlan[]; readonly offset: number }>(true);
  private disposed = false;
  /** Nodes whose outputs the session holds from load (constants, weight-only nodes): a run skips them. */
  private readonly loaded = new Set<number>();
  /** describeNode of each node that ran, made once: the origin its launches carry. */
  private readonly origins: string[] = [];
  /**
   * Per input signature: "ran" once a run with it went through every node and check, then the plan
   * built from it (the next run), or "none" when its nodes need values read back from the device.
   */
  private readonly plans = new BoundedCache<RunPlan | "ran" | "none">({
    limit: MAX_SIGNATURES,
    release: (state) => {
      if (state === this.repeated?.plan) this.repeated = undefined;
      if (state instanceof RunPlan) state.dispose();
    },
  });
  private readonly usePlans: boolean;
  /** The graph's output names, in order: the keys of every run's results (undefined when one is named twice). */
  private readonly outputNames: readonly string[] | undefined;
  /** The last planned run's inputs, which the next run with the same dtypes and shapes reuses without a signature. */
  private repeated: RepeatedRun | undefined;
  /** Groups of nodes the device's plugin runs as units (level 2 of the HAL), when it claims any. */
  readonly claims: ClaimSchedule | undefined;

  /** What this session may allocate; every tensor is checked against it before it is allocated. */
  readonly budget: MemoryBudget;

  /** Use createSession(), which loads the device first. */
  constructor(
    readonly graph: Graph,
    readonly device: string,
    options: Pick<SessionOptions, "claimSubgraphs" | "memoryBudget" | "runPlans" | "weights"> = {},
  ) {
    validateGraph(graph);
    const names = graph.outputs.map((o) => o.name);
    this.outputNames = new Set(names).size === names.length ? names : undefined;
    this.usePlans = options.runPlans ?? true;
    this.budget = memoryBudget(getDeviceEntry(device).device.capabilities.limits, options.memoryBudget);
    planStaticShapes(graph, this.budget);
    try {
      for (const init of graph.initializers) {
        checkPlanned(`initializer '${init.name}'`, init.shape, init.dtype, this.budget, this.heldBytes());
        this.held.set(init.name, options.weights ? options.weights.upload(init, device) : fromHost(init.data, init.shape, init.dtype, device));
        if (sizeOf(init.shape) <= HOST_COPY_LIMIT) this.hostValues.set(init.name, Array.from(init.data));
      }
      graph.nodes.forEach((node, i) => {
        if (node.op !== "constant") return;
        try {
          const [plan] = planStructural("constant", { extra: [], attrs: node.attrs, outputCount: 1 });
          if (plan?.kind !== "value") return;
          this.held.set(node.outputs[0]!, fromHost(plan.values, plan.shape, plan.dtype, device));
          this.hostValues.set(node.outputs[0]!, plan.values);
          this.loaded.add(i);
        } catch (err) {
          throw atNode(err, i, node);
        }
      });
    } catch (err) {
      this.dispose();
      throw err;
    }
    const count = (name: string) => name !== "" && this.readers.set(name, (this.readers.get(name) ?? 0) + 1);
    for (const node of graph.nodes) node.inputs.forEach(count);
    for (const out of graph.outputs) count(out.name);
    try {
      this.claims = options.claimSubgraphs === false ? undefined : offerGraph(graph, getDeviceEntry(device));
    } catch (err) {
      this.dispose();
      throw err;
    }
    // A plugin's claims are offered the graph as written: they compute their nodes themselves.
    if (!this.claims?.claims.length) this.computeWeightOnly(options.weights);
  }

  /**
   * Computes once, and holds, every node that reads only held values (a quantized weight
   * dequantized in the graph, or its transpose): each run would compute the same outputs again.
   * Sessions sharing `weights` share the results. Nodes past WEIGHT_ONLY_LIMIT's bytes, over the
   * budget, or that fail here run every time as written (and report their error there).
   */
  private computeWeightOnly(weights: SharedWeights | undefined): void {
    const keys = new Map<string, string>();
    if (weights) for (const init of this.graph.initializers) keys.set(init.name, weights.keyOf(init, this.device));
    let added = 0;
    const lookup = (name: string) => this.held.get(name);
    this.graph.nodes.forEach((node, i) => {
      if (this.loaded.has(i) || !readsOnlyHeld(node, this.held, this.hostValues)) return;
      let results: RawView[];
      let bytes = 0;
      try {
        if (!isStructuralOp(node.op)) {
          const args = node.inputs.filter((name) => name !== "").map((name) => this.held.get(name)!);
          for (const meta of getOp(node.op).infer(args, node.attrs)) bytes += plannedBytes(meta.shape, meta.dtype);
          if (added + bytes > WEIGHT_ONLY_LIMIT) return;
        }
        const compute = () => {
          const out = this.runNode(i, node, lookup, this.hostValues);
          if (out instanceof Promise) throw new DeviceError("a weight-only node must not wait for a read");
          return out;
        };
        const key =
          weights &&
          weightOnlyKey(
            this.device,
            node,
            node.inputs.map((name) => (name === "" ? "" : keys.get(name))),
          );
        results = key ? weights!.computed(key, compute) : compute();
        node.outputs.forEach((name, k) => key && keys.set(name, `${key}#${k}`));
      } catch {
        return;
      }
      added += bytes;
      results.forEach((v, k) => {
        const name = node.outputs[k];
        if (name && (this.readers.get(name) ?? 0) > 0) this.held.set(name, v);
        else v.storage.release();
      });
      this.loaded.add(i);
    });
  }

  /** How many input signatures have a plan now (each is built on the second run with those shapes). */
  get planCount(): number {
    let n = 0;
    for (const state of this.plans.values()) if (state instanceof RunPlan) n++;
    return n;
  }

  /** Refuses a tensor of `shape` and `dtype` that the budget cannot hold (before the caller builds its data). */
  checkTensor(what: string, shape: readonly number[], dtype: DType): void {
    checkPlanned(what, shape, dtype, this.budget, this.heldBytes());
  }

  private heldBytes(extra: Iterable<RawView> = []): number {
    const storages = new Set([...this.held.values(), ...extra].map((v) => v.storage));
    let bytes = this.keptBytes();
    for (const s of storages) bytes += s.bytes;
    return bytes;
  }

  /** Runs the graph and reads every output back to the host. */
  run(inputs: Readonly<Record<string, RuntimeInput>>): Promise<Record<string, HostOutput>> {
    // Not async: a planned run and its reads finish now, and an async wrapper would cost the caller extra turns.
    try {
      const started = this.start(inputs, true);
      // A planned run is ready now: awaiting it would let another run in before the reads.
      return started instanceof Promise ? started.then((views) => readOutputs(views, this.outputNames)) : readOutputs(started, this.outputNames);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs the graph and returns the outputs as device views; the caller releases them (view.storage.release()). */
  async runViews(inputs: Readonly<Record<string, RuntimeInput>>): Promise<Record<string, RawView>> {
    return this.start(inputs, false);
  }

  /**
   * Runs the graph: from a plan, synchronously (the views are ready when this returns), or node by
   * node. `hostOutputs`: the caller reads the outputs back at once and keeps no view of them, so a
   * plan may compute them in buffers it keeps (its own signature: a plan per kind of run).
   */
  private start(inputs: Readonly<Record<string, RuntimeInput>>, hostOutputs: boolean): Record<string, RawView> | Promise<Record<string, RawView>> {
    if (this.disposed) throw new DeviceError(`session for '${this.graph.name}' was disposed`);
    const repeated = this.repeated;
    if (repeated?.matches(this.graph, inputs, hostOutputs) && this.plansAllowed() && repeated.plan.entry === getDeviceEntry(this.device))
      return repeated.plan.run(this.placeFor(repeated.plan, inputs));
    checkInputs(this.graph, inputs);
    const signature = this.plannable(inputs) ? `${runSignature(this.graph, inputs)}${hostOutputs ? "|host" : ""}` : undefined;
    const plan = signature === undefined ? undefined : this.planFor(signature, inputs, hostOutputs);
    if (plan) {
      this.repeated = RepeatedRun.of(this.graph, inputs, plan, hostOutputs);
      return plan.run(this.placeFor(plan, inputs));
    }
    return this.runNodeByNode(inputs).then((outputs) => {
      if (signature !== undefined && !this.plans.has(signature)) this.plans.add(signature, "ran");
      return outputs;
    });
  }

  /** Every input on the device, in graph-input order; none is left held if one fails. */
  private placeAll(inputs: Readonly<Record<string, RuntimeInput>>): RawView[] {
    const placed: RawView[] = [];
    try {
      for (const info of this.graph.inputs) placed.push(placeInput(info, inputs[info.name]!, this.device));
    } catch (err) {
      for (const v of placed) v.storage.release();
      throw err;
    }
    return placed;
  }

  /** The inputs for a plan: host values written into the buffers it keeps for them, the others placed (as placeAll). */
  private placeFor(plan: RunPlan, inputs: Readonly<Record<string, RuntimeInput>>): (RawView | undefined)[] {
    const placed: (RawView | undefined)[] = [];
    try {
      for (let k = 0; k < this.graph.inputs.length; k++) {
        const info = this.graph.inputs[k]!;
        const given = inputs[info.name]!;
        const kept = plan.inputBuffer(k);
        if (!kept) placed.push(placeInput(info, given, this.device));
        else if (isRawView(given)) throw new DeviceError(`input '${info.name}': the plan keeps a buffer for host values but got a device view`);
        else {
          writeInput(info, given, kept);
          placed.push(undefined);
        }
      }
    } catch (err) {
      for (const v of placed) v?.storage.release();
      throw err;
    }
    return placed;
  }

  /**
   * Whether this run may use a plan: the session has no claims, no recorder or observer must see
   * each op, and every device-view input is alive (a dead one is named by the op that reads it).
   */
  private plannable(inputs: Readonly<Record<string, RuntimeInput>>): boolean {
    if (!this.plansAllowed()) return false;
    for (const info of this.graph.inputs) {
      const given = inputs[info.name];
      if (isRawView(given) && !given.storage.alive) return false;
    }
    return true;
  }

  private plansAllowed(): boolean {
    return this.usePlans && !this.claims?.claims.length && !activeLazyRecorder() && !hasOpObserver();
  }

  /** The plan for a signature that already ran node by node once (built on its second run), if it has one. */
  private planFor(signature: string, inputs: Readonly<Record<string, RuntimeInput>>, hostOutputs: boolean): RunPlan | undefined {
    const known = this.plans.get(signature);
    const entry = getDeviceEntry(this.device);
    if (known instanceof RunPlan && known.entry === entry) return known;
    if (known === undefined || known === "none") return undefined;
    const skip = (i: number) => this.loaded.has(i);
    const room = this.budget.totalBytes - this.heldBytes();
    const plan = RunPlan.build(
      { graph: this.graph, entry, held: this.held, hostValues: this.hostValues, skip, room },
      placedLayouts(this.graph, inputs),
      this.graph.inputs.map((info) => !isRawView(inputs[info.name])),
      hostOutputs,
    );
    this.plans.add(signature, plan ?? "none");
    return plan;
  }

  /** Bytes the plans keep between runs (buffers of values no caller sees). */
  private keptBytes(): number {
    let bytes = 0;
    for (const state of this.plans.values()) if (state instanceof RunPlan) bytes += state.keptBytes;
    return bytes;
  }

  /** Runs every node through the dispatcher, checking each output against the budget before it is made. */
  private async runNodeByNode(inputs: Readonly<Record<string, RuntimeInput>>): Promise<Record<string, RawView>> {
    const owned = new Map<string, RawView>();
    const live = new LiveBytes(this.held.values(), this.keptBytes());
    const own = (name: string, v: RawView) => {
      const before = owned.get(name);
      if (before) live.remove(before);
      owned.set(name, v);
      live.add(v);
    };
    const remaining = new Map(this.readers);
    const hostValues = new Map(this.hostValues);
    const lookup = (name: string) => owned.get(name) ?? this.held.get(name);
    const consumed = (name: string) => {
      if (name === "") return;
      const left = (remaining.get(name) ?? 0) - 1;
      remaining.set(name, left);
      const v = left <= 0 ? owned.get(name) : undefined;
      if (v) {
        v.storage.release();
        owned.delete(name);
        live.remove(v);
      }
    };
    const store = (names: readonly string[], results: readonly RawView[]) => {
      names.forEach((name, k) => {
        const v = results[k];
        if (!v) return;
        if ((remaining.get(name) ?? 0) > 0) own(name, v);
        else v.storage.release(); // nothing reads it
      });
      results.slice(names.length).forEach((v) => v.storage.release());
    };
    const finish = (node: GraphNode, results: RawView[]) => {
      store(node.outputs, results);
      node.inputs.forEach(consumed);
    };
    // Most nodes run synchronously (the device queues the work): only a node that must read a
    // value back first returns a promise, so a run costs no promise per op.
    const runAt = (i: number): Promise<void> | undefined => {
      const node = this.graph.nodes[i]!;
      let results: RawView[] | Promise<RawView[]>;
      try {
        results = this.runNode(i, node, lookup, hostValues);
      } catch (err) {
        throw atNode(err, i, node);
      }
      if (!(results instanceof Promise)) {
        finish(node, results);
        return undefined;
      }
      return results.then(
        (r) => finish(node, r),
        (err) => {
          throw atNode(err, i, node);
        },
      );
    };
    this.plannedLive = () => live.bytes;
    try {
      for (const info of this.graph.inputs) {
        const given = inputs[info.name]!;
        checkPlanned(`input '${info.name}'`, given.shape, given.dtype ?? info.dtype, this.budget, this.plannedLive());
        own(info.name, placeInput(info, given, this.device));
      }
      for (let i = 0; i < this.graph.nodes.length; i++) {
        const node = this.graph.nodes[i]!;
        if (this.claims?.isClaimed(i)) {
          const planned = this.claims.startingAt(i);
          if (planned) {
            const results = await this.runClaimed(planned, lookup);
            if (results) {
              store(planned.claim.outputs, results);
              for (const n of planned.claim.nodes) this.graph.nodes[n]!.inputs.forEach(consumed);
            } else for (const n of planned.claim.nodes) await runAt(n);
          }
          continue;
        }
        if (this.loaded.has(i)) continue;
        const pending = runAt(i);
        if (pending) await pending;
      }
      const outputs: Record<string, RawView> = {};
      for (const info of this.graph.outputs) {
        const v = lookup(info.name);
        if (!v) throw new DeviceError(`output '${info.name}' was not computed`);
        outputs[info.name] = shareView(v, v);
      }
      return outputs;
    } finally {
      for (const v of owned.values()) v.storage.release();
    }
  }

  /**
   * Runs a claim as one unit on the device; undefined when its program threw and its nodes must
   * run one by one on the device instead (reported; not refused by setFallbackPolicy("error"),
   * since nothing leaves the device unless a node itself falls back).
   */
  private async runClaimed(planned: PlannedClaim, lookup: (name: string) => RawView | undefined): Promise<RawView[] | undefined> {
    const entry = getDeviceEntry(this.device);
    const inputs = planned.claim.inputs.map((name) => lookup(name)!);
    // The claim runs synchronously: earlier asynchronous work (a CPU fallback) must land first.
    if (entry.queue.busy) await entry.queue.sync();
    try {
      return runClaim(planned, inputs, entry);
    } catch (err) {
      noteClaimRanOpByOp(this.device, planned.claim.name, inputs[0]?.dtype ?? "float32", `its program threw (${(err as Error)?.message ?? err})`);
      return undefined;
    }
  }

  private runNode(
    index: number,
    node: GraphNode,
    lookup: (name: string) => RawView | undefined,
    hostValues: Map<string, readonly number[]>,
  ): RawView[] | Promise<RawView[]> {
    const inputs = node.inputs.map((name) => (name === "" ? undefined : lookup(name)));
    if (!isStructuralOp(node.op)) {
      let present = inputs.length;
      while (present > 0 && inputs[present - 1] === undefined) present--;
      const args = inputs.slice(0, present);
      if (args.some((a) => a === undefined)) throw new DeviceError(`${node.op}: only trailing inputs may be absent`);
      // Planned before allocating: the op's output shapes, against the budget and what is already held.
      const live = this.plannedLive();
      let planned = 0;
      let metas = this.inferred.get(index, args);
      if (!metas) {
        metas = getOp(node.op).infer(args as RawView[], node.attrs);
        this.inferred.set(index, args, [], metas);
      }
      metas.forEach((meta, k) => {
        checkPlanned(`output ${k}`, meta.shape, meta.dtype, this.budget, live + planned);
        planned += plannedBytes(meta.shape, meta.dtype);
      });
      // Its launches carry the node's name (KernelCall.origin) for errors a device reports later, at a read.
      const outer = setLaunchOrigin((this.origins[index] ??= describeNode(index, node)));
      try {
        return runOp(node.op, args as RawView[], node.attrs, this.device);
      } finally {
        setLaunchOrigin(outer);
      }
    }
    // A structural node's size arguments (a Reshape's target) are host values; one computed on the
    // device is read back first, which is the only case that waits.
    const unread = node.inputs.findIndex((name, k) => k > 0 && inputs[k] !== undefined && !hostValues.has(name));
    if (unread < 0) return this.runStructuralNode(index, node, inputs, hostValues);
    return (async () => {
      for (let k = 1; k < inputs.length; k++) {
        const v = inputs[k];
        if (v && !hostValues.has(node.inputs[k]!)) hostValues.set(node.inputs[k]!, Array.from(decodeHost(await readView(v), v.dtype, sizeOf(v.shape))));
      }
      return this.runStructuralNode(index, node, inputs, hostValues);
    })();
  }

  private runStructuralNode(index: number, node: GraphNode, inputs: readonly (RawView | undefined)[], hostValues: Map<string, readonly number[]>): RawView[] {
    const extra = inputs.slice(1).map((v, k) => (v ? hostValues.get(node.inputs[k + 1]!) : undefined));
    const x = inputs[0];
    let memo = this.structural.get(index, [x], extra);
    if (!memo) {
      memo = { plans: planStructural(node.op as StructuralOp, { x, extra, attrs: node.attrs, outputCount: node.outputs.length }), offset: x?.offset ?? 0 };
      this.structural.set(index, [x], extra, memo);
    }
    const results = applyStructural(memo.plans, x, memo.offset, this.device);
    results.forEach((r, k) => r.hostValues && node.outputs[k] && hostValues.set(node.outputs[k]!, r.hostValues));
    return results.map((r) => r.view);
  }

  /** Frees the uploaded initializers; the session cannot run afterwards. */
  dispose(): void {
    this.disposed = true;
    this.plans.clear();
    for (const v of this.held.values()) v.storage.release();
    this.held.clear();
  }
}

/**
 * Checks, before anything is uploaded, every input and node output whose shape the graph fixes
 * (no symbolic dims) against the per-tensor budget: a model with a fixed batch of 1e9 is refused
 * when it is loaded. Dims known only at run time are checked by run() as each op is reached.
 */
function planStaticShapes(graph: Graph, budget: MemoryBudget): void {
  const isStatic = (shape: readonly (number | string)[]): shape is number[] => shape.every((d) => typeof d === "number");
  for (const info of graph.inputs) if (isStatic(info.shape)) checkPlanned(`input '${info.name}'`, info.shape, info.dtype, { ...budget, totalBytes: Infinity });
  let shapes: Map<string, ValueInfo>;
  try {
    shapes = inferShapes(graph);
  } catch {
    return; // a graph whose shapes cannot be inferred ahead is still checked op by op at run time
  }
  graph.nodes.forEach((node, i) => {
    node.outputs.forEach((name, k) => {
      const info = shapes.get(name);
      if (!info || !isStatic(info.shape) || node.op === "constant") return;
      checkPlanned(`${describeNode(i, node)}: output ${k}`, info.shape, info.dtype, { ...budget, totalBytes: Infinity });
    });
  });
  // The whole plan: what the graph holds at once, run in order, against the total budget. A view
  // (reshape, slice, ...) shares its input's memory, so it adds nothing.
  const views = new Set(graph.nodes.filter((n) => isStructuralOp(n.op) && !["constant", "shape", "size"].includes(n.op)).flatMap((n) => n.outputs));
  const bytesOf = (name: string) => {
    if (views.has(name)) return 0;
    const info = shapes.get(name);
    return info && isStatic(info.shape) ? plannedBytes(info.shape, info.dtype) : undefined;
  };
  const fixed = graph.initializers.reduce((s, t) => s + plannedBytes(t.shape, t.dtype), 0) + graph.inputs.reduce((s, v) => s + (bytesOf(v.name) ?? 0), 0);
  const peak = planPeak(
    graph.nodes,
    bytesOf,
    fixed,
    graph.outputs.map((o) => o.name),
  );
  if (peak.bytes > budget.totalBytes) {
    const where = peak.node < 0 ? "its initializers and inputs" : describeNode(peak.node, graph.nodes[peak.node]!);
    throw new OutOfMemoryError(
      `the model would hold ${formatBytes(peak.bytes)} at once (peak at ${where}), over the session's total budget of ${formatBytes(budget.totalBytes)} (raise it with the session's memoryBudget option)`,
    );
  }
}

/** Loads the device if needed, validates the graph and uploads its initializers. */
export async function createSession(graph: Graph, options: SessionOptions = {}): Promise<Session> {
  const device = options.device ?? defaultDevice();
  await useDevice(device);
  const { plugin } = getDeviceEntry(device);
  const fuse = options.fuse ?? (!plugin.claimSubgraphs || plugin.claimsFusedGroups === true);
  return new Session(fuse ? fusedOrAsIs(graph, device) : graph, device, options);
}

/**
 * Fusion needs every node's shape before running; a graph whose shapes only the run can tell (or
 * that is malformed) runs unfused, and the session reports its error with the real shapes.
 */
function fusedOrAsIs(graph: Graph, device: string): Graph {
  try {
    const entry = getDeviceEntry(device);
    return loadTimePasses(graph, { supports: (op, dtype) => findKernel(entry, op, dtype) !== undefined, convLayout: entry.plugin.preferredConvLayout });
  } catch {
    return graph;
  }
}

/** One-shot run: a session for this call only (reuse createSession to run a model many times). */
export async function execute(graph: Graph, inputs: Readonly<Record<string, RuntimeInput>>, options: SessionOptions = {}): Promise<Record<string, HostOutput>> {
  const session = await createSession(graph, options);
  try {
    return await session.run(inputs);
  } finally {
    session.dispose();
  }
}
