import {
  contiguousStrides,
  dtypeBytes,
  getOp,
  isContiguous,
  planStructural,
  sizeOf,
  type DType,
  type KernelCall,
  type KernelFn,
  type StructuralOp,
  type StructuralPlan,
  type TensorMeta,
  type ViewChange,
} from "@polychip/hal";
import type { DeviceEntry } from "../core/devices.ts";
import { findKernel } from "../core/devices.ts";
import { allocate, bindingTooLargeFor, needsContiguous, runOp, shareView } from "../core/dispatch.ts";
import { toKernelView, type RawView } from "../core/view.ts";
import { isStructuralOp, type Graph } from "../graph/ir.ts";
import { atNode } from "../graph/node-error.ts";
import { applyStructural } from "./structural-exec.ts";

/** What a plan knows of a value before any run: its layout and the size of the storage under it. */
interface Layout extends ViewChange {
  readonly dtype: DType;
  readonly storageBytes: number;
}

/** One node, resolved once for a signature: a kernel launch, a dispatch, or a view. */
type Step =
  /** Straight to the device's kernel: shapes inferred, kernel found and every check of the dispatcher passed ahead. */
  | { readonly kind: "kernel"; readonly node: number; readonly inputs: readonly number[]; readonly outputs: readonly number[]; readonly metas: readonly TensorMeta[]; readonly kernel: KernelFn; readonly release: readonly number[] }
  /** Through the dispatcher each run (a decomposition, a fallback, an empty output). */
  | { readonly kind: "op"; readonly node: number; readonly inputs: readonly number[]; readonly outputs: readonly number[]; readonly release: readonly number[] }
  /** Views of the first input at layouts fixed by the signature. */
  | { readonly kind: "view"; readonly node: number; readonly input: number; readonly changes: readonly ViewChange[]; readonly outputs: readonly number[]; readonly release: readonly number[] }
  /** A structural node that makes new memory (host values, a copying reshape, a flip). */
  | { readonly kind: "structural"; readonly node: number; readonly input: number; readonly plans: readonly StructuralPlan[]; readonly offset: number; readonly outputs: readonly number[]; readonly release: readonly number[] };

/** A step before the plan knows when values are freed. */
type Unreleased<S = Step> = S extends Step ? Omit<S, "release"> : never;

/** What the session gives a plan to build from. */
export interface PlanSource {
  readonly graph: Graph;
  readonly entry: DeviceEntry;
  /** Initializers and constants uploaded once. */
  readonly held: ReadonlyMap<string, RawView>;
  /** Host copies of small held values, read by structural nodes as sizes. */
  readonly hostValues: ReadonlyMap<string, readonly number[]>;
  /** Nodes the session skips (constants already held). */
  readonly skip: (index: number) => boolean;
}

/** Why a graph gets no plan: it then runs node by node, as before. */
class Unplannable extends Error {}

/**
 * A graph resolved once for one input signature (dtypes, shapes and, for device views, layouts):
 * every node's output shapes, its kernel (or that it must go through the dispatcher), every
 * view's layout and the step after which each value is freed. A run then binds the inputs and
 * calls the steps in order — no shape inference, kernel lookup, budget arithmetic or map per node.
 *
 * Everything a plan skips is fixed by the signature: the session builds one only after a run with
 * the same signature went through every check (shapes, budget) node by node.
 */
export class RunPlan {
  private constructor(
    readonly entry: DeviceEntry,
    private readonly graph: Graph,
    private readonly steps: readonly Step[],
    /** Held values in their slots; every other slot is filled during a run. */
    private readonly template: readonly (RawView | undefined)[],
    private readonly inputSlots: readonly number[],
    private readonly outputSlots: readonly number[],
  ) {}

  /** The plan for inputs laid out as `inputs`, or undefined when a node needs a value read back from the device first. */
  static build(source: PlanSource, inputs: readonly Layout[]): RunPlan | undefined {
    try {
      const { steps, template, inputSlots, outputSlots } = new PlanBuilder(source).build(inputs);
      return new RunPlan(source.entry, source.graph, steps, template, inputSlots, outputSlots);
    } catch (err) {
      if (err instanceof Unplannable) return undefined;
      throw err;
    }
  }

  get nodeCount(): number {
    return this.steps.length;
  }

  /** Runs the steps on `inputs` (views the caller placed, in graph-input order, each owning one reference; this takes them). */
  run(inputs: readonly RawView[]): Record<string, RawView> {
    const values = this.template.slice();
    const owned: number[] = [];
    this.inputSlots.forEach((slot, k) => {
      values[slot] = inputs[k];
      owned.push(slot);
    });
    try {
      for (const step of this.steps) {
        try {
          this.runStep(step, values);
        } catch (err) {
          throw atNode(err, step.node, this.graph.nodes[step.node]!);
        }
        for (const slot of step.outputs) owned.push(slot);
        for (const slot of step.release) {
          values[slot]?.storage.release();
          values[slot] = undefined;
        }
      }
      const outputs: Record<string, RawView> = {};
      this.graph.outputs.forEach((info, k) => {
        const v = values[this.outputSlots[k]!]!;
        outputs[info.name] = shareView(v, v);
      });
      return outputs;
    } finally {
      for (const slot of owned) {
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
        const results = runOp(node.op, step.inputs.map((s) => values[s]!), node.attrs, this.entry.name);
        return store(step.outputs, results, values);
      }
      case "view": {
        const x = values[step.input]!;
        step.outputs.forEach((slot, k) => {
          values[slot] = shareView(x, step.changes[k]!);
        });
        return;
      }
      case "structural": {
        const results = applyStructural(step.plans, step.input < 0 ? undefined : values[step.input], step.offset, this.entry.name);
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
    const node = this.graph.nodes[step.node]!;
    const inputs = step.inputs.map((s) => values[s]!);
    const outputs = step.metas.map((m) => allocate(entry, m.dtype, m.shape));
    const call: KernelCall = { op: node.op, inputs: inputs.map(toKernelView), outputs: outputs.map(toKernelView), attrs: node.attrs };
    try {
      entry.queue.submit(() => entry.device.launch(step.kernel, call), call);
    } catch {
      // The dispatcher decides what a failed kernel means (a fallback, or which error): it runs the node again.
      for (const o of outputs) o.storage.release();
      return store(step.outputs, runOp(node.op, inputs, node.attrs, entry.name), values);
    }
    store(step.outputs, outputs, values);
  }
}

/** Puts results in their slots; results the node does not name (extra outputs) are freed. */
function store(slots: readonly number[], results: readonly RawView[], values: (RawView | undefined)[]): void {
  results.forEach((v, k) => {
    const slot = slots[k];
    if (slot === undefined) v.storage.release();
    else values[slot] = v;
  });
}

/** Walks the graph once with layouts instead of tensors, as a run would go. */
class PlanBuilder {
  private readonly slots = new Map<string, number>();
  private readonly layouts: (Layout | undefined)[] = [];
  private readonly hostValues: Map<string, readonly number[]>;
  private readonly template: (RawView | undefined)[] = [];
  /** Per slot, the last step that reads it (graph outputs: never within the run). */
  private readonly lastRead: number[] = [];
  private readonly steps: Unreleased[] = [];

  constructor(private readonly source: PlanSource) {
    this.hostValues = new Map(source.hostValues);
  }

  build(inputs: readonly Layout[]): { steps: Step[]; template: (RawView | undefined)[]; inputSlots: number[]; outputSlots: number[] } {
    const { graph, held } = this.source;
    for (const [name, v] of held) {
      const slot = this.slot(name);
      this.template[slot] = v;
      this.layouts[slot] = { dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset, storageBytes: v.storage.bytes };
    }
    const inputSlots = graph.inputs.map((info, k) => {
      const slot = this.slot(info.name);
      this.layouts[slot] = inputs[k];
      return slot;
    });
    graph.nodes.forEach((node, i) => {
      if (this.source.skip(i)) return;
      try {
        this.plan(i);
      } catch (err) {
        // The run that preceded the plan went through this node: an error now is a bug, named here.
        if (err instanceof Unplannable) throw err;
        throw atNode(err, i, node);
      }
    });
    const outputSlots = graph.outputs.map((info) => {
      const slot = this.slots.get(info.name);
      if (slot === undefined || !this.layouts[slot]) throw new Unplannable();
      return slot;
    });
    const heldSlots = new Set([...held.keys()].map((name) => this.slots.get(name)!));
    const outputSet = new Set(outputSlots);
    // A value is freed after its last reader; one nobody reads, right after the node that made it.
    const releases: number[][] = this.steps.map(() => []);
    this.steps.forEach((step, i) => {
      for (const slot of step.outputs) if (!outputSet.has(slot) && this.lastRead[slot] === undefined) releases[i]!.push(slot);
    });
    for (const [slot, i] of this.lastRead.entries()) {
      if (i !== undefined && !heldSlots.has(slot) && !outputSet.has(slot)) releases[i]!.push(slot);
    }
    const steps = this.steps.map((step, i) => ({ ...step, release: releases[i]! }) as Step);
    return { steps, template: this.template, inputSlots, outputSlots };
  }

  private slot(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(name, slot);
    }
    return slot;
  }

  private read(name: string, step: number): number {
    const slot = this.slots.get(name);
    if (slot === undefined || !this.layouts[slot]) throw new Unplannable();
    this.lastRead[slot] = step;
    return slot;
  }

  private plan(index: number): void {
    const node = this.source.graph.nodes[index]!;
    const stepIndex = this.steps.length;
    const present = node.inputs.map((name) => (name === "" ? undefined : this.read(name, stepIndex)));
    const outputs = node.outputs.map((name) => this.slot(name));
    if (isStructuralOp(node.op)) return this.planStructural(index, present, outputs);
    let count = present.length;
    while (count > 0 && present[count - 1] === undefined) count--;
    if (present.slice(0, count).some((s) => s === undefined)) throw new Unplannable();
    const inputs = present.slice(0, count) as number[];
    const layouts = inputs.map((s) => this.layouts[s]!);
    const def = getOp(node.op);
    const metas = def.infer(layouts, node.attrs);
    const { entry } = this.source;
    const reg = findKernel(entry, node.op, layouts[0]?.dtype ?? metas[0]!.dtype);
    const direct =
      reg !== undefined &&
      !bindingTooLargeFor(
        entry,
        layouts.map((l) => l.storageBytes),
        metas,
      ) &&
      (!needsContiguous(entry, def) || layouts.every((l) => isContiguous(l.shape, l.strides))) &&
      (def.family === "index" || metas.some((m) => sizeOf(m.shape) !== 0));
    metas.forEach((m, k) => {
      const slot = outputs[k];
      if (slot !== undefined) this.layouts[slot] = contiguous(m);
    });
    this.steps.push(direct ? { kind: "kernel", node: index, inputs, outputs, metas, kernel: reg!.kernel } : { kind: "op", node: index, inputs, outputs });
  }

  private planStructural(index: number, present: readonly (number | undefined)[], outputs: readonly number[]): void {
    const node = this.source.graph.nodes[index]!;
    const extra = node.inputs.slice(1).map((name, k) => {
      if (present[k + 1] === undefined) return undefined;
      const values = this.hostValues.get(name);
      if (!values) throw new Unplannable(); // a size computed on the device: each run must read it back
      return values;
    });
    const xSlot = present[0];
    const x = xSlot === undefined ? undefined : this.layouts[xSlot]!;
    const plans = planStructural(node.op as StructuralOp, { x, extra, attrs: node.attrs, outputCount: node.outputs.length });
    const allViews = x !== undefined && xSlot !== undefined && plans.every((p) => p.kind === "view" && !p.reverseAxes?.length);
    plans.forEach((p, k) => {
      const slot = outputs[k];
      if (slot === undefined) return;
      if (p.kind === "value") {
        this.layouts[slot] = { dtype: p.dtype, shape: p.shape, strides: contiguousStrides(p.shape), offset: 0, storageBytes: sizeOf(p.shape) * dtypeBytes(p.dtype) };
        this.hostValues.set(node.outputs[k]!, p.values);
      } else if (p.kind === "copy-reshape") {
        this.layouts[slot] = { dtype: x!.dtype, shape: p.shape, strides: contiguousStrides(p.shape), offset: 0, storageBytes: sizeOf(p.shape) * dtypeBytes(x!.dtype) };
      } else if (p.reverseAxes?.length) {
        const shape = p.change.shape;
        this.layouts[slot] = { dtype: x!.dtype, shape, strides: contiguousStrides(shape), offset: 0, storageBytes: sizeOf(shape) * dtypeBytes(x!.dtype) };
      } else this.layouts[slot] = { ...p.change, dtype: x!.dtype, storageBytes: x!.storageBytes };
    });
    const step: Unreleased = allViews
      ? { kind: "view", node: index, input: xSlot, changes: plans.map((p) => (p as Extract<StructuralPlan, { kind: "view" }>).change), outputs }
      : { kind: "structural", node: index, input: xSlot ?? -1, plans, offset: x?.offset ?? 0, outputs };
    this.steps.push(step);
  }
}

const contiguous = (m: TensorMeta): Layout => ({
  dtype: m.dtype,
  shape: m.shape,
  strides: contiguousStrides(m.shape),
  offset: 0,
  storageBytes: sizeOf(m.shape) * dtypeBytes(m.dtype),
});

export type { Layout as PlanLayout };
