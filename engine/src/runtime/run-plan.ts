import type { KernelCall } from "@polychip/hal";
import type { DeviceEntry } from "../core/devices.ts";
import { allocate, copyInto, runOp, shareView } from "../core/dispatch.ts";
import { toKernelView, type RawView } from "../core/view.ts";
import type { Graph } from "../graph/ir.ts";
import { setLaunchOrigin } from "../core/launch-origin.ts";
import { atNode, describeNode } from "../graph/node-error.ts";
import { PlanBuilder, Unplannable, type Layout, type PlanSource, type Step } from "./plan-builder.ts";
import { applyStructural } from "./structural-exec.ts";

export type { Layout as PlanLayout, PlanSource };

/**
 * A graph resolved once for one input signature (dtypes, shapes and, for device views, layouts):
 * every node's output shapes, its kernel (or that it must go through the dispatcher), every
 * view's layout, where each value lives (plan-memory.ts; built by plan-builder.ts) and the step after which each value a
 * run makes is freed. A run then binds the inputs and calls the steps in order — no shape
 * inference, kernel lookup, budget arithmetic or map per node, and no allocation for values kept
 * across runs.
 *
 * Everything a plan skips is fixed by the signature: the session builds one only after a run with
 * the same signature went through every check (shapes, budget) node by node.
 */
export class RunPlan {
  private constructor(
    readonly entry: DeviceEntry,
    private readonly graph: Graph,
    private readonly steps: readonly Step[],
    /** Held values, kept buffers and their views in their slots; every other slot is filled during a run. */
    private readonly template: readonly (RawView | undefined)[],
    private readonly inputSlots: readonly number[],
    private readonly outputSlots: readonly number[],
    /** Slots a run makes and frees (inputs included). */
    private readonly made: readonly number[],
    /** Buffers kept across runs (one reference each, the plan's). */
    private readonly buffers: readonly RawView[],
  ) {
    this.values = template.slice();
    this.origins = graph.nodes.map((node, i) => describeNode(i, node));
  }

  /** describeNode of every node: the origin (KernelCall.origin) of the launches a step makes. */
  private readonly origins: readonly string[];

  /** The slots during a run: the template's values, and between runs nothing else. */
  private readonly values: (RawView | undefined)[];

  /**
   * The plan for inputs laid out as `inputs`, or undefined when a node needs a value read back from
   * the device first. `hostInputs[k]`: input k comes as host data, which the plan may receive in a
   * buffer it keeps (see `inputBuffer`). `hostOutputs`: every run's outputs are read back before the
   * next run starts, so they too may live in buffers the plan keeps.
   */
  static build(source: PlanSource, inputs: readonly Layout[], hostInputs: readonly boolean[] = [], hostOutputs = false): RunPlan | undefined {
    let parts;
    try {
      parts = new PlanBuilder(source).build(inputs, hostInputs, hostOutputs);
    } catch (err) {
      if (err instanceof Unplannable) return undefined;
      throw err;
    }
    const { steps, template, inputSlots, outputSlots, made, buffers } = parts;
    return new RunPlan(source.entry, source.graph, steps, template, inputSlots, outputSlots, made, buffers);
  }

  /** Bytes of the buffers this plan keeps between runs. */
  get keptBytes(): number {
    let bytes = 0;
    for (const b of this.buffers) bytes += b.storage.bytes;
    return bytes;
  }

  /** Frees the kept buffers; the plan cannot run afterwards. */
  dispose(): void {
    for (const b of this.buffers) b.storage.release();
  }

  /**
   * The buffer the plan keeps for input k, when it has one: the caller writes the input's values
   * there (before run) instead of placing a view of its own.
   */
  inputBuffer(k: number): RawView | undefined {
    return this.template[this.inputSlots[k]!];
  }

  /**
   * Runs the steps on `inputs` (views the caller placed, in graph-input order, each owning one
   * reference; this takes them), undefined where the input is in its `inputBuffer`.
   */
  run(inputs: readonly (RawView | undefined)[]): Record<string, RawView> {
    // One array per plan, reused: a run is synchronous, and the finally below puts back every slot it filled.
    const values = this.values;
    for (let k = 0; k < inputs.length; k++) {
      const given = inputs[k];
      if (given) values[this.inputSlots[k]!] = given;
    }
    const { steps, entry } = this;
    try {
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        try {
          // A prebuilt launch straight to the queue (most steps of a small model); the rest by kind.
          if (step.kind === "kernel" && step.call) {
            try {
              entry.queue.submit(step.work!, step.call);
            } catch {
              this.redispatch(step, values);
            }
          } else {
            // Launches through the dispatcher carry the node's name too (KernelCall.origin), as prebuilt calls do.
            const outer = setLaunchOrigin(this.origins[step.node]);
            try {
              this.runStep(step, values);
            } finally {
              setLaunchOrigin(outer);
            }
          }
        } catch (err) {
          throw atNode(err, step.node, this.graph.nodes[step.node]!);
        }
        const release = step.release;
        for (let r = 0; r < release.length; r++) {
          const slot = release[r]!;
          values[slot]?.storage.release();
          values[slot] = undefined;
        }
      }
      const outputs: Record<string, RawView> = {};
      const infos = this.graph.outputs;
      for (let k = 0; k < infos.length; k++) {
        const v = values[this.outputSlots[k]!]!;
        outputs[infos[k]!.name] = shareView(v, v);
      }
      return outputs;
    } finally {
      for (const slot of this.made) {
        values[slot]?.storage.release();
        values[slot] = undefined;
      }
    }
  }

  private runStep(step: Step, values: (RawView | undefined)[]): void {
    switch (step.kind) {
      case "kernel":
        return this.launch(step, values);
      case "op": {
        const node = this.graph.nodes[step.node]!;
        return store(
          step.outputs,
          runOp(
            node.op,
            step.inputs.map((s) => values[s]!),
            node.attrs,
            this.entry.name,
          ),
          values,
        );
      }
      case "view": {
        const x = values[step.inputs[0]]!;
        step.outputs.forEach((slot, k) => {
          if (slot >= 0) values[slot] = shareView(x, step.changes[k]!);
        });
        return;
      }
      case "structural": {
        const x = step.inputs.length ? values[step.inputs[0]!] : undefined;
        const results = applyStructural(step.plans, x, step.offset, this.entry.name);
        return store(
          step.outputs,
          results.map((r) => r.view),
          values,
        );
      }
    }
  }

  private launch(step: Extract<Step, { kind: "kernel" }>, values: (RawView | undefined)[]): void {
    const { entry } = this;
    if (step.call) {
      try {
        entry.queue.submit(step.work!, step.call);
      } catch {
        this.redispatch(step, values);
      }
      return;
    }
    const node = this.graph.nodes[step.node]!;
    const inputs = step.inputs.map((s) => values[s]!);
    const outputs = step.metas.map((m, k) => step.kept[k] ?? allocate(entry, m.dtype, m.shape));
    const call: KernelCall = {
      op: step.op ?? node.op,
      inputs: inputs.map(toKernelView),
      outputs: outputs.map(toKernelView),
      attrs: step.attrs ?? node.attrs,
      origin: this.origins[step.node],
    };
    try {
      entry.queue.submit(() => entry.device.launch(step.kernel, call), call);
    } catch {
      outputs.forEach((o, k) => step.kept[k] || o.storage.release());
      return this.redispatch(step, values);
    }
    outputs.forEach((o, k) => {
      if (step.kept[k]) return;
      const slot = step.outputs[k]!;
      if (slot < 0) o.storage.release();
      else values[slot] = o;
    });
  }

  /**
   * A kernel threw: the dispatcher runs the node again and decides what that means (a fallback
   * to another device, or which error), as it would have node by node. Results for kept buffers
   * are copied into them, where later steps read.
   */
  private redispatch(step: Extract<Step, { kind: "kernel" }>, values: (RawView | undefined)[]): void {
    const node = this.graph.nodes[step.node]!;
    const outer = setLaunchOrigin(this.origins[step.node]);
    let results: RawView[];
    try {
      results = runOp(
        step.op ?? node.op,
        step.inputs.map((s) => values[s]!),
        step.attrs ?? node.attrs,
        this.entry.name,
      );
    } finally {
      setLaunchOrigin(outer);
    }
    results.forEach((r, k) => {
      const kept = step.kept[k];
      const slot = step.outputs[k] ?? -1;
      if (kept) copyInto(this.entry, r, kept);
      if (kept || slot < 0) r.storage.release();
      else values[slot] = r;
    });
  }
}

/** Puts results in their slots; results the node does not name (extra outputs) are freed. */
function store(slots: readonly number[], results: readonly RawView[], values: (RawView | undefined)[]): void {
  results.forEach((v, k) => {
    const slot = slots[k] ?? -1;
    if (slot < 0) v.storage.release();
    else values[slot] = v;
  });
}
