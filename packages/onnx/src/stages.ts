import type { RawView } from "@polychip/engine/runtime";
import type { GraphProto, ModelProto } from "./proto/types.ts";
import { topologicalOrder } from "./import/topological-order.ts";
import type { HostTensor } from "./tensor.ts";

/** ONNX ops that draw fresh values on every run. */
const RANDOM_OPS = new Set(["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"]);

/**
 * What the stages run so far in one OnnxSession.run left for the later ones: the ONNX nodes they
 * ran, the values they computed that later nodes read (on the device), and those they knew at
 * import (folded constants).
 */
export interface Stages {
  readonly done: Set<number>;
  readonly fed: Map<string, RawView>;
  readonly constants: Record<string, HostTensor>;
}

export function emptyStages(): Stages {
  return { done: new Set(), fed: new Map(), constants: {} };
}

export function releaseStages(stages: Stages | undefined): void {
  if (!stages) return;
  for (const v of stages.fed.values()) v.storage.release();
  stages.fed.clear();
}

/** The fed values as an import declares them (dtype and shape). */
export function fedMetas(stages: Stages): Record<string, { dtype: RawView["dtype"]; shape: readonly number[] }> {
  const metas: Record<string, { dtype: RawView["dtype"]; shape: readonly number[] }> = {};
  for (const [name, v] of stages.fed) metas[name] = { dtype: v.dtype, shape: v.shape };
  return metas;
}

/** The fed values' names and shapes, as part of a plan key. */
export function fedKey(stages: Stages): string {
  let key = "";
  for (const [name, v] of stages.fed) key += `${name}[${v.shape.join(",")}];`;
  return key;
}

/**
 * A model's top-level ONNX graph as staged runs need it: which nodes an import up to a value
 * lowers, and which of their values later nodes read.
 *
 * A model that draws random values computes a value needed at import (a NonZero's input, a
 * Range's limit) in a stage of its own; the next stage, and the full model last, take the earlier
 * stages' results as inputs instead of computing them again. So every node runs once per run and
 * every random draw is the one all its readers see.
 */
export class StagedGraph {
  private readonly order: readonly number[];
  private readonly producer = new Map<string, number>();
  /** Per top-level node, every name it reads (inputs and any name its subgraphs read). */
  private readonly reads: readonly ReadonlySet<string>[];
  private readonly outputs: ReadonlySet<string>;

  constructor(private readonly graph: GraphProto) {
    const nodes = graph.node ?? [];
    this.order = topologicalOrder(nodes, "ONNX graph").map(([i]) => i);
    nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && !this.producer.has(o) && this.producer.set(o, i)));
    this.reads = nodes.map((n) => {
      const names = new Set<string>((n.input ?? []).filter(Boolean));
      for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) namesRead(g, names);
      return names;
    });
    this.outputs = new Set((graph.output ?? []).map((o) => o.name ?? ""));
  }

  /** Whether the model (or any subgraph) has an op that draws random values. */
  static wanted(model: ModelProto): boolean {
    return model.graph !== undefined && hasRandomOp(model.graph);
  }

  /** The nodes an import up to `value` lowers, in order, when `done` ran already: every one not done up to its producer. */
  lowers(value: string, done: ReadonlySet<number>): number[] {
    const producer = this.producer.get(value);
    const lowered: number[] = [];
    for (const i of this.order) {
      if (!done.has(i)) lowered.push(i);
      if (i === producer) return lowered;
    }
    return lowered;
  }

  /** Values of the `lowered` nodes that a node outside `done` and `lowered` reads, or that the graph outputs. */
  frontier(lowered: readonly number[], done: ReadonlySet<number>): string[] {
    const ran = new Set([...done, ...lowered]);
    const readLater = new Set<string>(this.outputs);
    (this.graph.node ?? []).forEach((_, i) => {
      if (!ran.has(i)) for (const name of this.reads[i]!) readLater.add(name);
    });
    const out: string[] = [];
    for (const i of lowered) for (const o of this.graph.node![i]!.output ?? []) if (o && readLater.has(o)) out.push(o);
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
