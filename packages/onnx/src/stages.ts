import type { RawView } from "@polychip/engine/runtime";
import type { FedMeta } from "./import/context.ts";
import type { HostValue } from "./import/host-step.ts";
import type { GraphProto, ModelProto } from "./proto/types.ts";
import { topologicalOrder } from "./import/topological-order.ts";
import type { HostTensor } from "./tensor.ts";

/** ONNX ops that draw fresh values on every run. */
const RANDOM_OPS = new Set(["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"]);

/**
 * What the stages run so far in one OnnxSession.run left for the later ones: the ONNX nodes they
 * ran, the values they computed that later nodes read (on the device), those they knew at import
 * (folded constants), and the results of host steps (host-step.ts: NonZero's indices, a
 * NonMaxSuppression's selection), which later plans read as inputs of their sizes; STRING results
 * (string-host-steps.ts) stay here for the host steps after them.
 */
export interface Stages {
  readonly done: Set<number>;
  readonly fed: Map<string, RawView>;
  readonly constants: Record<string, HostTensor>;
  readonly host: Map<string, HostValue>;
}

export function emptyStages(): Stages {
  return { done: new Set(), fed: new Map(), constants: {}, host: new Map() };
}

export function releaseStages(stages: Stages | undefined): void {
  if (!stages) return;
  for (const v of stages.fed.values()) v.storage.release();
  stages.fed.clear();
  stages.host.clear();
}

/** The fed values as an import declares them (dtype and shape). */
export function fedMetas(stages: Stages): Record<string, FedMeta> {
  const metas: Record<string, FedMeta> = {};
  for (const [name, v] of [...stages.fed, ...stages.host]) metas[name] = { dtype: v.dtype, shape: v.shape };
  return metas;
}

/** The fed values' names and shapes (host results' too: their count, never their values), as part of a plan key. */
export function fedKey(stages: Stages): string {
  let key = "";
  for (const [name, v] of [...stages.fed, ...stages.host]) key += `${name}[${v.shape.join(",")}];`;
  return key;
}

/**
 * A model's top-level ONNX graph as staged runs need it: which nodes an import up to a value
 * lowers, and which of their values later nodes read.
 *
 * A model that draws random values computes a value needed at import (a Range's limit) in a stage
 * of its own; the next stage, and the full model last, take the earlier stages' results as inputs
 * instead of computing them again. So every node runs once per run and every random draw is the
 * one all its readers see. A host step (a NonZero's or NonMaxSuppression's input) is computed the
 * same way in any model: the part before it is planned once per input-shape signature, and the
 * part after it reads what that part left plus the host step's results.
 */
export class StagedGraph {
  private readonly order: readonly number[];
  /** Each node's place in `order`. */
  private readonly position = new Map<number, number>();
  private readonly producer = new Map<string, number>();
  /** Per top-level node, its outputs with the nodes that read each (as an input or in a subgraph) and whether the graph outputs it. */
  private readonly outputsOf: readonly { name: string; readers: readonly number[]; graphOutput: boolean }[][];
  /** Per `done` set (a run's stages only ever add to theirs): how many nodes at the start of `order` it was seen to hold. */
  private readonly doneLeading = new WeakMap<ReadonlySet<number>, number>();
  /** frontier's marks of the nodes it was given: marks[i] === stamp for those of the current call. */
  private readonly marks: Int32Array;
  private stamp = 0;

  constructor(graph: GraphProto) {
    const nodes = graph.node ?? [];
    this.order = topologicalOrder(nodes, "ONNX graph").map(([i]) => i);
    this.order.forEach((node, at) => this.position.set(node, at));
    nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && !this.producer.has(o) && this.producer.set(o, i)));
    const readers = new Map<string, number[]>();
    nodes.forEach((n, i) => {
      const names = new Set<string>((n.input ?? []).filter(Boolean));
      for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) namesRead(g, names);
      for (const name of names) {
        const list = readers.get(name);
        if (list) list.push(i);
        else readers.set(name, [i]);
      }
    });
    const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ""));
    this.marks = new Int32Array(nodes.length);
    this.outputsOf = nodes.map((n) =>
      (n.output ?? []).filter(Boolean).map((name) => ({ name, readers: readers.get(name) ?? [], graphOutput: outputs.has(name) })),
    );
  }

  /** Whether the model (or any subgraph) has an op that draws random values. */
  static wanted(model: ModelProto): boolean {
    return model.graph !== undefined && hasRandomOp(model.graph);
  }

  /**
   * The nodes an import up to `value` lowers, in order, when `done` ran already: every one not done
   * up to its producer. `done` may only grow between calls with the same set.
   */
  lowers(value: string, done: ReadonlySet<number>): number[] {
    const producer = this.producer.get(value);
    // Stages run every node up to a point, so `done` is mostly a prefix of the order: skip it.
    let start = this.doneLeading.get(done) ?? 0;
    while (start < this.order.length && done.has(this.order[start]!)) start++;
    this.doneLeading.set(done, start);
    if (producer !== undefined && this.position.get(producer)! < start) return [];
    const lowered: number[] = [];
    for (let at = start; at < this.order.length; at++) {
      const i = this.order[at]!;
      if (!done.has(i)) lowered.push(i);
      if (i === producer) return lowered;
    }
    return lowered;
  }

  /** The nodes an import up to all of `values` lowers: as `lowers`, up to the last of their producers. */
  lowersAll(values: readonly string[], done: ReadonlySet<number>): number[] {
    let last: string | undefined;
    let lastAt = -1;
    for (const v of values) {
      const at = this.position.get(this.producer.get(v) ?? -1) ?? -1;
      if (at > lastAt) [last, lastAt] = [v, at];
    }
    return last === undefined ? [] : this.lowers(last, done);
  }

  /** Values of the `lowered` nodes that a node outside `done` and `lowered` reads, or that the graph outputs. */
  frontier(lowered: readonly number[], done: ReadonlySet<number>): string[] {
    // Runs once per stage of every run: only the lowered nodes' outputs and their readers are visited,
    // the lowered nodes marked with a fresh stamp (no set of a thousand nodes built per call).
    const stamp = ++this.stamp;
    for (const i of lowered) this.marks[i] = stamp;
    const out: string[] = [];
    for (const i of lowered) {
      for (const o of this.outputsOf[i]!) {
        let later = o.graphOutput;
        for (let k = 0; !later && k < o.readers.length; k++) {
          const r = o.readers[k]!;
          later = this.marks[r] !== stamp && !done.has(r);
        }
        if (later) out.push(o.name);
      }
    }
    return out;
  }
}

function hasRandomOp(graph: GraphProto): boolean {
  return (graph.node ?? []).some(
    (n) => RANDOM_OPS.has(n.opType ?? "") || (n.attribute ?? []).some((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])].some(hasRandomOp)),
  );
}

function namesRead(graph: GraphProto, into: Set<string>): void {
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) if (i) into.add(i);
    for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) namesRead(g, into);
  }
  for (const o of graph.output ?? []) if (o.name) into.add(o.name);
}
