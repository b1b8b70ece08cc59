import {
  contiguousStrides,
  dtypeBytes,
  getOp,
  isContiguous,
  planStructural,
  sizeOf,
  type Attrs,
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
import { allocate, bindingTooLargeFor, fromHost, needsContiguous } from "../core/dispatch.ts";
import { toKernelView, type RawView } from "../core/view.ts";
import { isStructuralOp, type Graph } from "../graph/ir.ts";
import { atNode, describeNode } from "../graph/node-error.ts";
import { planMemory, withoutBuffers, type MemoryPlan } from "./plan-memory.ts";

/** What a plan knows of a value before any run: its layout and the size of the storage under it. */
export interface Layout extends ViewChange {
  readonly dtype: DType;
  readonly storageBytes: number;
}

/** One node, resolved once for a signature: a kernel launch, a dispatch, or a view. */
export type Step =
  /**
   * Straight to the device's kernel: shapes inferred, kernel found and every check of the
   * dispatcher passed ahead. `kept[k]` is output k's buffer when the plan keeps it; `call` is
   * prebuilt when every input and output is the same each run. An output slot of -1 is discarded.
   */
  | {
      readonly kind: "kernel";
      readonly node: number;
      readonly inputs: readonly number[];
      readonly outputs: readonly number[];
      readonly metas: readonly TensorMeta[];
      readonly kernel: KernelFn;
      /** The op and attrs launched, when not the node's (a reversed slice's gather). */
      readonly op?: string;
      readonly attrs?: Attrs;
      readonly release: readonly number[];
      readonly kept: readonly (RawView | undefined)[];
      readonly call?: KernelCall;
      readonly work?: () => void;
    }
  /** Through the dispatcher each run (a decomposition, a fallback, an empty output). */
  | { readonly kind: "op"; readonly node: number; readonly inputs: readonly number[]; readonly outputs: readonly number[]; readonly release: readonly number[] }
  /** Views of the first input at layouts fixed by the signature. */
  | {
      readonly kind: "view";
      readonly node: number;
      readonly inputs: readonly [number];
      readonly changes: readonly ViewChange[];
      readonly outputs: readonly number[];
      readonly release: readonly number[];
    }
  /** A structural node that makes new memory (host values, a copying reshape, a flip). */
  | {
      readonly kind: "structural";
      readonly node: number;
      readonly inputs: readonly number[];
      readonly plans: readonly StructuralPlan[];
      readonly offset: number;
      readonly outputs: readonly number[];
      readonly release: readonly number[];
    };

/** A step before the plan knows where values live and when they are freed. */
export type Draft<S = Step> = S extends Step ? Omit<S, "release" | "kept" | "call" | "work"> : never;

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
  /** Bytes the plan may keep across runs beside what the session holds (its budget's room). */
  readonly room: number;
}

/** Why a graph gets no plan: it then runs node by node, as before. */
export class Unplannable extends Error {}

/** Walks the graph once with layouts instead of tensors, as a run would go. */
export class PlanBuilder {
  private readonly slots = new Map<string, number>();
  private readonly layouts: (Layout | undefined)[] = [];
  private readonly hostValues: Map<string, readonly number[]>;
  private readonly template: (RawView | undefined)[] = [];
  /** Per slot, the last step that reads it (graph outputs: never within the run). */
  private readonly lastRead: number[] = [];
  private readonly steps: Draft[] = [];
  /** Values the plan uploads itself (a flip's reversed indices): fixed like held values, freed with the plan. */
  private readonly constants: RawView[] = [];
  /** Their slot names. */
  private readonly constantSlots: string[] = [];

  constructor(private readonly source: PlanSource) {
    this.hostValues = new Map(source.hostValues);
  }

  /** `hostInputs[k]`: input k is given as host data, so a buffer the plan keeps may receive it. */
  build(inputs: readonly Layout[], hostInputs: readonly boolean[] = [], hostOutputs = false) {
    try {
      return this.buildSteps(inputs, hostInputs, hostOutputs);
    } catch (err) {
      for (const v of this.constants) v.storage.release();
      throw err;
    }
  }

  private buildSteps(inputs: readonly Layout[], hostInputs: readonly boolean[], hostOutputs: boolean) {
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
    const heldSlots = new Set([...held.keys(), ...this.constantSlots].map((name) => this.slots.get(name)!));
    const hostSlots = new Map<number, number>();
    inputSlots.forEach((slot, k) => hostInputs[k] && hostSlots.set(slot, this.layouts[slot]!.storageBytes));
    let memory = this.memoryPlan(heldSlots, outputSlots, inputSlots, hostSlots, hostOutputs);
    const buffers: RawView[] = [...this.constants];
    try {
      for (const bytes of memory.buffers) buffers.push(allocate(this.source.entry, "uint8", [bytes]));
    } catch {
      // The device cannot hold them now: the plan keeps nothing, its runs allocate as node by node.
      for (const b of buffers.splice(this.constants.length)) b.storage.release();
      memory = withoutBuffers(memory, heldSlots);
    }
    const fixedView = (slot: number): RawView => {
      if (heldSlots.has(slot)) return this.template[slot]!;
      const layout = this.layouts[slot]!;
      const root = memory.rootOf.get(slot)!;
      const storage = heldSlots.has(root) ? this.template[root]!.storage : buffers[this.constants.length + memory.bufferOf.get(root)!]!.storage;
      return { storage, dtype: layout.dtype, shape: layout.shape, strides: layout.strides, offset: layout.offset };
    };
    for (const slot of memory.fixed) this.template[slot] = fixedView(slot);
    const outputSet = new Set(outputSlots);
    const made = [
      ...inputSlots.filter((slot) => !memory.fixed.has(slot)),
      ...this.steps.flatMap((step) => step.outputs.filter((slot) => slot >= 0 && !memory.fixed.has(slot))),
    ];
    const madeSet = new Set(made);
    // A value a run makes is freed after its last reader; one nobody reads, right after the node that made it.
    const releases: number[][] = this.steps.map(() => []);
    this.steps.forEach((step, i) => {
      for (const slot of step.outputs) if (madeSet.has(slot) && !outputSet.has(slot) && this.lastRead[slot] === undefined) releases[i]!.push(slot);
    });
    for (const [slot, i] of this.lastRead.entries()) {
      if (i !== undefined && madeSet.has(slot) && !outputSet.has(slot)) releases[i]!.push(slot);
    }
    const steps: Step[] = [];
    this.steps.forEach((draft, i) => {
      const release = releases[i]!;
      // A view of a fixed value is fixed: nothing to do per run.
      if (draft.kind === "view" && memory.fixed.has(draft.inputs[0])) return;
      if (draft.kind !== "kernel") return steps.push({ ...draft, release } as Step);
      const kept = draft.outputs.map((slot) => (memory.bufferOf.has(slot) ? this.template[slot] : undefined));
      const ready = draft.inputs.every((slot) => memory.fixed.has(slot)) && kept.length === draft.metas.length && kept.every((v) => v !== undefined);
      if (!ready) return steps.push({ ...draft, release, kept });
      const { entry } = this.source;
      const node = this.source.graph.nodes[draft.node]!;
      const call: KernelCall = {
        op: draft.op ?? node.op,
        inputs: draft.inputs.map((slot) => toKernelView(this.template[slot]!)),
        outputs: kept.map((v) => toKernelView(v!)),
        attrs: draft.attrs ?? node.attrs,
        origin: describeNode(draft.node, node),
      };
      steps.push({ ...draft, release, kept, call, work: () => entry.device.launch(draft.kernel, call) });
    });
    return { steps, template: this.template, inputSlots, outputSlots, made, buffers };
  }

  /**
   * Where values live: kept buffers when they fit the budget's room beside everything a run
   * still makes afresh (counted whole, as if all were alive at once), else none.
   */
  private memoryPlan(
    held: ReadonlySet<number>,
    outputs: readonly number[],
    inputs: readonly number[],
    hostInputs: ReadonlyMap<number, number>,
    hostOutputs: boolean,
  ): MemoryPlan {
    const plan = planMemory(
      this.steps.map((step) => ({
        kind: step.kind,
        inputs: step.inputs,
        outputs: step.outputs,
        outputBytes: step.outputs.map((slot) => (slot < 0 ? 0 : this.layouts[slot]!.storageBytes)),
      })),
      held,
      outputs,
      this.lastRead,
      hostInputs,
      hostOutputs,
    );
    let bytes = 0;
    for (const b of plan.buffers) bytes += b;
    for (const slot of inputs) if (!plan.bufferOf.has(slot)) bytes += this.layouts[slot]!.storageBytes;
    for (const step of this.steps) {
      if (step.kind === "view") continue;
      for (const slot of step.outputs) if (slot >= 0 && !plan.bufferOf.has(slot)) bytes += this.layouts[slot]!.storageBytes;
    }
    return bytes <= this.source.room ? plan : withoutBuffers(plan, held);
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
    const outputs = node.outputs.map((name) => (name === "" ? -1 : this.slot(name)));
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
    // Every output has a slot (-1: discarded), so a kernel's extra outputs are planned like the rest.
    const slots = metas.map((m, k) => {
      const slot = outputs[k] ?? -1;
      if (slot >= 0) this.layouts[slot] = contiguous(m);
      return slot;
    });
    this.steps.push(
      direct ? { kind: "kernel", node: index, inputs, outputs: slots, metas, kernel: reg!.kernel } : { kind: "op", node: index, inputs, outputs },
    );
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
    if (xSlot !== undefined && plans.length === 1 && plans[0]!.kind === "view" && plans[0]!.reverseAxes?.length && outputs[0]! >= 0) {
      if (this.planFlip(index, xSlot, plans[0]!, outputs[0]!)) return;
    }
    if (xSlot !== undefined && plans.length === 1 && plans[0]!.kind === "copy-reshape" && outputs[0]! >= 0) {
      if (this.planCopyReshape(index, xSlot, plans[0]!, outputs[0]!)) return;
    }
    const allViews = x !== undefined && xSlot !== undefined && plans.every((p) => p.kind === "view" && !p.reverseAxes?.length);
    plans.forEach((p, k) => {
      const slot = outputs[k] ?? -1;
      if (slot < 0) return;
      if (p.kind === "value") {
        this.layouts[slot] = {
          dtype: p.dtype,
          shape: p.shape,
          strides: contiguousStrides(p.shape),
          offset: 0,
          storageBytes: sizeOf(p.shape) * dtypeBytes(p.dtype),
        };
        this.hostValues.set(node.outputs[k]!, p.values);
      } else if (p.kind === "copy-reshape") {
        this.layouts[slot] = {
          dtype: x!.dtype,
          shape: p.shape,
          strides: contiguousStrides(p.shape),
          offset: 0,
          storageBytes: sizeOf(p.shape) * dtypeBytes(x!.dtype),
        };
      } else if (p.reverseAxes?.length) {
        const shape = p.change.shape;
        this.layouts[slot] = { dtype: x!.dtype, shape, strides: contiguousStrides(shape), offset: 0, storageBytes: sizeOf(shape) * dtypeBytes(x!.dtype) };
      } else this.layouts[slot] = { ...p.change, dtype: x!.dtype, storageBytes: x!.storageBytes };
    });
    const step: Draft = allViews
      ? { kind: "view", node: index, inputs: [xSlot], changes: plans.map((p) => (p as Extract<StructuralPlan, { kind: "view" }>).change), outputs }
      : { kind: "structural", node: index, inputs: xSlot === undefined ? [] : [xSlot], plans, offset: x?.offset ?? 0, outputs };
    this.steps.push(step);
  }

  /**
   * A reshape that no view can express (of a transposed value: attention's heads merged back):
   * a copy kernel into contiguous memory, then the reshaped view of it, launched like any kernel
   * step instead of through the dispatcher each run. False (nothing planned) where the device has
   * no direct copy kernel; the node then stays a structural step.
   */
  private planCopyReshape(index: number, xSlot: number, plan: Extract<StructuralPlan, { kind: "copy-reshape" }>, outSlot: number): boolean {
    const { entry } = this.source;
    const x = this.layouts[xSlot]!;
    const reg = findKernel(entry, "copy", x.dtype);
    if (!reg) return false;
    const metas = getOp("copy").infer([x], {});
    if (bindingTooLargeFor(entry, [x.storageBytes], metas)) return false;
    const copied = this.slot(`${this.source.graph.nodes[index]!.outputs[0]!}\u0000copied`);
    const layout = contiguous(metas[0]!);
    this.layouts[copied] = layout;
    this.layouts[outSlot] = { ...layout, shape: plan.shape, strides: contiguousStrides(plan.shape) };
    this.lastRead[xSlot] = this.steps.length;
    this.steps.push({ kind: "kernel", node: index, inputs: [xSlot], outputs: [copied], metas, kernel: reg.kernel, op: "copy", attrs: {} });
    this.lastRead[copied] = this.steps.length;
    this.steps.push({
      kind: "view",
      node: index,
      inputs: [copied],
      changes: [{ shape: plan.shape, strides: contiguousStrides(plan.shape), offset: 0 }],
      outputs: [outSlot],
    });
    return true;
  }

  /**
   * A slice with a negative step (a view with reversed axes, which HAL views cannot express):
   * the view without the reversal, then per reversed axis a gather of flipped indices that the
   * plan uploads once, launched like any kernel step. False (nothing planned) where the device has
   * no direct gather kernel for it; the node then stays a structural step.
   */
  private planFlip(index: number, xSlot: number, plan: Extract<StructuralPlan, { kind: "view" }>, outSlot: number): boolean {
    const { entry } = this.source;
    const x = this.layouts[xSlot]!;
    const reg = findKernel(entry, "gather", x.dtype);
    if (!reg || needsContiguous(entry, getOp("gather"))) return false;
    const name = this.source.graph.nodes[index]!.outputs[0]!;
    let layout: Layout = { ...plan.change, dtype: x.dtype, storageBytes: x.storageBytes };
    const drafts: Draft[] = [];
    const unflipped = this.slot(`${name}\u0000unflipped`);
    drafts.push({ kind: "view", node: index, inputs: [xSlot], changes: [plan.change], outputs: [unflipped] });
    const slotLayouts: [number, Layout][] = [[unflipped, layout]];
    const uploads: { slot: number; axis: number; n: number; slotName: string }[] = [];
    let current = unflipped;
    plan.reverseAxes!.forEach((axis, j) => {
      const n = layout.shape[axis]!;
      const slotName = `${name}\u0000flip${j}`;
      const indices = this.slot(slotName);
      const indexLayout: Layout = { dtype: "int32", shape: [n], strides: [1], offset: 0, storageBytes: 4 * n };
      const metas = getOp("gather").infer([layout, indexLayout], { axis });
      const next = j === plan.reverseAxes!.length - 1 ? outSlot : this.slot(`${name}\u0000flipped${j}`);
      drafts.push({ kind: "kernel", node: index, inputs: [current, indices], outputs: [next], metas, kernel: reg.kernel, op: "gather", attrs: { axis } });
      slotLayouts.push([indices, indexLayout]);
      uploads.push({ slot: indices, axis, n, slotName });
      layout = contiguous(metas[0]!);
      slotLayouts.push([next, layout]);
      current = next;
    });
    if (bindingTooLargeFor(entry, [x.storageBytes], [{ dtype: x.dtype, shape: layout.shape }])) return false;
    for (const { slot, n, slotName } of uploads) {
      const view = fromHost(
        Array.from({ length: n }, (_, i) => n - 1 - i),
        [n],
        "int32",
        entry.name,
      );
      this.constants.push(view);
      this.constantSlots.push(slotName);
      this.template[slot] = view;
    }
    for (const [slot, l] of slotLayouts) this.layouts[slot] = l;
    for (const draft of drafts) {
      for (const slot of draft.inputs) this.lastRead[slot] = this.steps.length;
      this.steps.push(draft);
    }
    return true;
  }
}

const contiguous = (m: TensorMeta): Layout => ({
  dtype: m.dtype,
  shape: m.shape,
  strides: contiguousStrides(m.shape),
  offset: 0,
  storageBytes: sizeOf(m.shape) * dtypeBytes(m.dtype),
});
