import { contiguousStrides, DeviceError, dtypeBytes, getOp, ShapeError, sizeOf, type Attrs } from "@polychip/hal";
import { getDeviceEntry } from "../core/devices.ts";
import type { LazyRecorder } from "../core/lazy-hook.ts";
import { Storage } from "../core/storage.ts";
import type { RawView } from "../core/view.ts";
import type { StepNode, StepProgram, StepValue, ValueRef } from "./program.ts";
import type { ReplayAware } from "./replay-hooks.ts";

/** Host work a step registered for replay, in the order it happened (see replay-hooks.ts). */
export type ReplayEvent =
  | { readonly kind: "action"; readonly run: () => void }
  | { readonly kind: "scalar"; readonly node: number; readonly read: () => number }
  | { readonly kind: "guard"; readonly read: () => string; readonly value: string };

/**
 * Records a function's ops instead of running them (see core/lazy-hook.ts). Results are views of
 * pending storages; storages read from outside are held (one reference each) until the plan has
 * run, so a parameter the function replaces or a buffer it disposes keeps the value it read.
 */
export class StepRecorder implements LazyRecorder, ReplayAware {
  private readonly values: StepValue[] = [];
  private readonly nodes: StepNode[] = [];
  private readonly ids = new Map<Storage, number>();
  /** The held external storages, by value id. */
  readonly externals = new Map<number, Storage>();
  /** The pending storage of every op result, by value id. */
  readonly pending = new Map<number, Storage>();
  private sealed = false;
  readonly events: ReplayEvent[] = [];

  runOp(op: string, inputs: readonly RawView[], attrs: Attrs, device?: string): RawView[] {
    const def = getOp(op);
    if (inputs.length < def.inputs[0] || inputs.length > def.inputs[1]) {
      throw new ShapeError(`${op}: expects ${def.inputs[0]}–${def.inputs[1]} inputs, got ${inputs.length}`);
    }
    const deviceName = inputs[0]?.storage.device ?? getDeviceEntry(device).name;
    const other = inputs.find((v) => v.storage.device !== deviceName);
    if (other) throw new DeviceError(`${op}: inputs are on different devices (${deviceName} and ${other.storage.device}); move them with .to()`);
    const metas = def.infer(inputs, attrs);
    const refs = inputs.map((v) => this.ref(v));
    const views = metas.map((m): RawView => {
      const bytes = sizeOf(m.shape) * dtypeBytes(m.dtype);
      const storage = Storage.pending(deviceName, bytes, op);
      const id = this.addValue({ dtype: m.dtype, device: deviceName, bytes, external: false, shape: [...m.shape] }, storage);
      this.pending.set(id, storage);
      return { storage, dtype: m.dtype, shape: [...m.shape], strides: contiguousStrides(m.shape), offset: 0 };
    });
    this.nodes.push({ op, attrs, inputs: refs, outputs: views.map((v) => this.ids.get(v.storage)!), device: deviceName });
    return views;
  }

  copyInto(src: RawView, dst: RawView): void {
    if (src.storage.device !== dst.storage.device) {
      throw new DeviceError(`copy: source on '${src.storage.device}', destination on '${dst.storage.device}'`);
    }
    this.nodes.push({ op: "copyInto", attrs: {}, inputs: [this.ref(src)], outputs: [], device: dst.storage.device, write: this.ref(dst) });
  }

  onReplay(action: () => void): void {
    this.events.push({ kind: "action", run: action });
  }

  guard(read: () => string, value: string): void {
    this.events.push({ kind: "guard", read, value });
  }

  markLive(storage: Storage, read: () => number): void {
    const id = this.ids.get(storage);
    let node = this.nodes.length - 1;
    while (node >= 0 && !(this.nodes[node]!.op === "fill" && id !== undefined && this.nodes[node]!.outputs.includes(id))) node--;
    if (node < 0) throw new Error("compile: internal error, a live scalar was not made by a recorded fill");
    this.events.push({ kind: "scalar", node, read });
  }

  /** The captured program; op results still referenced by a tensor are its outputs. */
  finish(): StepProgram {
    this.sealed = true;
    const outputs = [...this.pending].filter(([, s]) => s.isPending).map(([id]) => id);
    return { values: this.values, nodes: this.nodes, outputs };
  }

  /** Gives back the held external storages (after the plan ran, or when recording failed). */
  release(): void {
    for (const s of this.externals.values()) s.release();
    this.externals.clear();
  }

  private ref(v: RawView): ValueRef {
    if (!v.storage.alive) throw new DeviceError("compile: an input tensor was disposed");
    let id = this.ids.get(v.storage);
    if (id === undefined) {
      if (this.sealed) throw new Error("compile: internal error, recording after finish");
      id = this.addValue({ dtype: v.dtype, device: v.storage.device, bytes: v.storage.bytes, external: true }, v.storage.retain());
      this.externals.set(id, v.storage);
    }
    return { value: id, dtype: v.dtype, shape: [...v.shape], strides: [...v.strides], offset: v.offset };
  }

  private addValue(value: StepValue, storage: Storage): number {
    const id = this.values.length;
    this.values.push(value);
    this.ids.set(storage, id);
    return id;
  }
}
