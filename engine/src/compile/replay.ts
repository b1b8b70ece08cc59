import type { Attrs } from "@polychip/hal";
import type { Storage } from "../core/storage.ts";
import type { RawView } from "../core/view.ts";
import { nextSeed } from "../ops/creation.ts";
import { Tensor } from "../tensor.ts";
import { buildResult, resultShape, type CallSignature, type ResultShape } from "./call-signature.ts";
import { execute } from "./execute.ts";
import type { Plan } from "./plan.ts";
import type { StepProgram } from "./program.ts";
import type { ReplayEvent, StepRecorder } from "./recorder.ts";

/** Where a replay finds an external value: an argument tensor, state the last call wrote, or the very storage read before. */
type Binding = { kind: "argument"; path: string } | { kind: "carried"; output: number } | { kind: "constant"; storage: Storage };

type ViewLayout = Pick<RawView, "dtype" | "shape" | "strides" | "offset">;

/** How a returned tensor is made again: the same object (a parameter), this call's argument, or a new tensor on a new buffer, on state, or on an input. */
type Returned =
  | { kind: "same"; tensor: Tensor }
  | { kind: "argument"; path: string }
  | { kind: "fresh"; output: number; layout: ViewLayout }
  | { kind: "state"; output: number; layout: ViewLayout }
  | { kind: "input"; value: number; layout: ViewLayout };

interface Capture {
  readonly plan: Plan;
  readonly program: StepProgram;
  readonly bindings: ReadonlyMap<number, Binding>;
  readonly events: readonly ReplayEvent[];
  readonly randomNodes: readonly number[];
  readonly shape: ResultShape;
  readonly returned: readonly Returned[];
}

export interface Recording {
  readonly recorder: StepRecorder;
  readonly program: StepProgram;
  readonly plan: Plan;
  readonly key: string;
  readonly signature: CallSignature;
  readonly result: unknown;
  /** Tensors the step kept (gradients, optimiser state): state even when also returned. */
  readonly kept: ReadonlySet<unknown>;
  /** Seeds drawn from the global random stream while the function ran. */
  readonly seedsDrawn: number;
}

/**
 * Replay for one call signature. Each recording is compared with the call before it: when the
 * structure, the host scalars not marked live and the way every input is found agree, the plan
 * can run without calling the function again. Parameters, gradients and optimiser state are
 * outputs the plan writes straight into the storages their tensors already hold.
 */
export class SignatureReplay {
  private key?: string;
  private scalars?: string;
  private capture?: Capture;
  /** Outputs of the last call held by tensors other than returned ones (state), one reference each. */
  private readonly slots = new Map<number, Storage>();
  private lastBound = new Map<number, Storage>();
  private lastReturned: WeakRef<Tensor>[] = [];
  replaysSinceCheck = 0;
  /** Why this signature does not replay yet (or any more). */
  reason = "it was recorded once; replay starts when a second recording agrees";

  get ready(): boolean {
    return this.capture !== undefined;
  }

  /**
   * Learns from a recording before its plan runs. Returns what differs from the step being
   * replayed when this recording was a check of it (the caller reports it as an error).
   */
  learn(rec: Recording): string | undefined {
    const { program, recorder } = rec;
    const scalars = staticScalars(program, recorder.events);
    const problems: string[] = [];
    if (this.key === undefined) problems.push(this.reason);
    else if (rec.key !== this.key) problems.push(`its ops changed between calls${firstDifference(this.key, rec.key)}`);
    else if (scalars !== this.scalars) problems.push(`a scalar it computes on the host changed between calls${firstDifference(this.scalars!, scalars)}`);
    const bindings = this.bind(rec, problems);
    const randomNodes = program.nodes.flatMap((n, i) => (n.attrs.seed !== undefined ? [i] : []));
    if (randomNodes.length !== rec.seedsDrawn) problems.push(`it drew ${rec.seedsDrawn} random seeds for ${randomNodes.length} random ops`);
    const live = new Set([...randomNodes, ...recorder.events.flatMap((e) => (e.kind === "scalar" ? [e.node] : []))]);
    if (rec.plan.steps.some((s) => s.kind === "fused" && s.nodes.some((n) => live.has(n)))) problems.push("a live scalar or random op was fused");
    const { shape, returned, fresh } = this.returnedTensors(rec, problems);

    const mismatch = this.capture && problems.length ? problems[0] : undefined;
    this.forget();
    this.key = rec.key;
    this.scalars = scalars;
    this.reason = problems[0] ?? "";
    for (const id of program.outputs) if (!fresh.has(id)) this.slots.set(id, recorder.pending.get(id)!.retain());
    if (!problems.length) {
      for (const b of bindings.values()) if (b.kind === "constant") b.storage.retain();
      this.capture = { plan: rec.plan, program, bindings, events: recorder.events, randomNodes, shape, returned };
    }
    return mismatch;
  }

  /**
   * Runs the captured step on the current arguments and state; undefined (nothing done) when a
   * tensor the step updates or reads as a constant was replaced or freed outside it since, or a
   * guarded host value (an optimiser option) changed.
   */
  replay(signature: CallSignature): { result: unknown } | undefined {
    const c = this.capture!;
    for (const s of this.slots.values()) if (!s.alive || s.exclusive) return undefined;
    for (const b of c.bindings.values()) if (b.kind === "constant" && b.storage.exclusive) return undefined;
    for (const e of c.events) if (e.kind === "guard" && e.read() !== e.value) return undefined;
    const values = new Map<number, number>();
    for (const e of c.events) {
      if (e.kind === "action") e.run();
      else if (e.kind === "scalar") values.set(e.node, e.read());
    }
    const seeds = new Map(c.randomNodes.map((n) => [n, nextSeed()]));
    const attrs = (node: number): Attrs => {
      const a = c.program.nodes[node]!.attrs;
      const value = values.get(node);
      const seed = seeds.get(node);
      return value !== undefined ? { ...a, value } : seed !== undefined ? { ...a, seed } : a;
    };
    const bound = new Map<number, Storage>();
    for (const [id, b] of c.bindings) {
      bound.set(id, b.kind === "argument" ? signature.tensors.get(b.path)!.view.storage : b.kind === "carried" ? this.slots.get(b.output)! : b.storage);
    }
    const externals = new Map([...bound].map(([id, s]) => [id, s.retain()]));
    let outputs: Map<number, Storage>;
    try {
      outputs = execute(c.plan, c.program, { externals, attrs, destination: (id) => this.slots.get(id) }).outputs;
    } finally {
      for (const s of externals.values()) s.release();
    }
    for (const [id, s] of outputs) if (this.slots.has(id)) s.release();
    const tensors = c.returned.map((r) => {
      if (r.kind === "same") return r.tensor;
      if (r.kind === "argument") return signature.tensors.get(r.path)!;
      const storage = r.kind === "fresh" ? outputs.get(r.output)! : r.kind === "state" ? this.slots.get(r.output)!.retain() : bound.get(r.value)!.retain();
      return new Tensor({ storage, ...r.layout });
    });
    this.lastBound = bound;
    this.lastReturned = tensors.map((t) => new WeakRef(t));
    this.replaysSinceCheck++;
    return { result: buildResult(c.shape, tensors) };
  }

  /** Gives back every reference held (cache eviction, reset). */
  dispose(): void {
    this.forget();
    this.key = undefined;
  }

  private forget(): void {
    for (const s of this.slots.values()) s.release();
    this.slots.clear();
    for (const b of this.capture?.bindings.values() ?? []) if (b.kind === "constant") b.storage.release();
    this.capture = undefined;
    this.replaysSinceCheck = 0;
  }

  /** How each external value of the recording is found again, compared with the last call's bindings. */
  private bind(rec: Recording, problems: string[]): Map<number, Binding> {
    const argumentOf = new Map<Storage, string>();
    for (const [path, t] of rec.signature.tensors) argumentOf.set(t.view.storage, path);
    const slotOf = new Map<Storage, number>();
    for (const [id, s] of this.slots) slotOf.set(s, id);
    const bindings = new Map<number, Binding>();
    for (const [id, storage] of rec.recorder.externals) {
      const path = argumentOf.get(storage);
      const output = slotOf.get(storage);
      if (path !== undefined) bindings.set(id, { kind: "argument", path });
      else if (output !== undefined) bindings.set(id, { kind: "carried", output });
      else if (this.lastBound.get(id) === storage) bindings.set(id, { kind: "constant", storage });
      else if (this.key !== undefined) {
        const v = rec.program.values[id]!;
        problems.push(
          `it reads a tensor (${v.dtype}, ${v.bytes} bytes on ${v.device}) that is not an argument, not state it wrote last call and not the same tensor as last call`,
        );
      }
      const before = this.capture?.bindings.get(id);
      const now = bindings.get(id);
      if (before && now && !sameBinding(before, now)) problems.push(`it read a different tensor for input value ${id} than the step being replayed`);
    }
    this.lastBound = new Map(rec.recorder.externals);
    return bindings;
  }

  /** The result's tensors and how replay makes each again; outputs only returned are fresh each call, every other is state. */
  private returnedTensors(rec: Recording, problems: string[]) {
    const { shape, tensors, problem } = resultShape(rec.result);
    if (problem) problems.push(problem);
    const outputOf = new Map<Storage, number>();
    for (const id of rec.program.outputs) outputOf.set(rec.recorder.pending.get(id)!, id);
    const externalOf = new Map<Storage, number>();
    for (const [id, s] of rec.recorder.externals) externalOf.set(s, id);
    const fresh = new Set<number>();
    const argumentPath = new Map([...rec.signature.tensors].map(([path, t]) => [t, path]));
    const returned = tensors.map((t, i): Returned => {
      const path = argumentPath.get(t);
      if (path !== undefined) return { kind: "argument", path };
      if (t.gradFn && !t.graphReleased)
        problems.push("it returns a tensor with an autograd graph (call backward inside, or run under noGrad); replay cannot rebuild the graph");
      const layout: ViewLayout = { dtype: t.view.dtype, shape: [...t.view.shape], strides: [...t.view.strides], offset: t.view.offset };
      const output = outputOf.get(t.view.storage);
      if (this.lastReturned[i]?.deref() === t) return { kind: "same", tensor: t };
      if (output !== undefined) {
        if (!t.view.storage.exclusive || rec.kept.has(t)) return { kind: "state", output, layout };
        fresh.add(output);
        return { kind: "fresh", output, layout };
      }
      const input = externalOf.get(t.view.storage);
      if (input !== undefined) return { kind: "input", value: input, layout };
      problems.push("it returns a tensor none of its ops made or read (made from host data inside it?)");
      return { kind: "same", tensor: t };
    });
    this.lastReturned = tensors.map((t) => new WeakRef(t));
    return { shape, returned, fresh };
  }
}

function sameBinding(a: Binding, b: Binding): boolean {
  if (a.kind === "argument" && b.kind === "argument") return a.path === b.path;
  if (a.kind === "carried" && b.kind === "carried") return a.output === b.output;
  return a.kind === "constant" && b.kind === "constant" && a.storage === b.storage;
}

/** The values of the scalars the step made on the host and did not mark live: replay reuses them, so they must not change. */
function staticScalars(program: StepProgram, events: readonly ReplayEvent[]): string {
  const live = new Set(events.flatMap((e) => (e.kind === "scalar" ? [e.node] : [])));
  return program.nodes.flatMap((n, i) => (n.op === "fill" && !live.has(i) ? [`fill #${i} = ${String(n.attrs.value)}`] : [])).join("\n");
}

function firstDifference(before: string, now: string): string {
  const a = before.split("\n");
  const b = now.split("\n");
  const i = a.findIndex((line, k) => line !== b[k]);
  const k = i < 0 ? a.length : i;
  const cut = (s: string | undefined) => (s === undefined ? "nothing" : s.length > 160 ? `${s.slice(0, 160)}…` : s);
  return ` (first difference: '${cut(a[k])}' became '${cut(b[k])}')`;
}
