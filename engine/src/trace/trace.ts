import { formatShape, getOp, PolychipError, ShapeError, sizeOf, type Attrs, type DType, type TensorMeta } from "@polychip/hal";
import { readView, shareView } from "../core/dispatch.ts";
import { decodeHost } from "../core/host.ts";
import type { Storage } from "../core/storage.ts";
import type { RawView } from "../core/view.ts";
import { noGrad } from "../tape/grad-mode.ts";
import { Module } from "../nn/module.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import type { Graph, GraphNode, Initializer, ValueInfo } from "../graph/ir.ts";
import { deadCodeElimination } from "../graph/passes/dead-code.ts";
import { activeRecorder, setRecorder, type OpRecorder } from "../tape/trace-hook.ts";

export interface TraceOptions {
  /** Make the leading dim of every input (and whatever follows it) the symbol "batch". */
  readonly dynamicBatch?: boolean;
  readonly name?: string;
  /** Default "input" (one input) or "input0", "input1", ... */
  readonly inputNames?: readonly string[];
  /** Default "output" (one output) or "output0", "output1", ... */
  readonly outputNames?: readonly string[];
  readonly metadata?: Readonly<Record<string, string>>;
}

export type Traceable = Module | ((...inputs: Tensor[]) => Tensor | readonly Tensor[]);

/** A size, or the batch ("batch") or a multiple of it ("batch*8", a batch merged with a dim of 8). */
type Dim = number | string;
const BATCH = "batch";

/** k for "batch*k" (1 for "batch"); undefined for a fixed size. */
function batchFactor(d: Dim): number | undefined {
  if (d === BATCH) return 1;
  const m = typeof d === "string" ? /^batch\*(\d+)$/.exec(d) : null;
  return m ? Number(m[1]) : undefined;
}

const batchDim = (k: number): Dim => (k === 1 ? BATCH : `${BATCH}*${k}`);
const isBatchDim = (d: Dim) => batchFactor(d) !== undefined;
/** int32 max: a slice end meaning "to the end of the dim", whatever the batch size. */
const TO_END = 2147483647;

interface ViewRecord {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

const sameView = (a: ViewRecord, v: RawView) =>
  a.dtype === v.dtype && formatShape(a.shape) === formatShape(v.shape) && formatShape(a.strides) === formatShape(v.strides) && a.offset === v.offset;

/** Collects the ops eager code runs into graph nodes, and the tensors they read from outside into initializers. */
export class GraphRecorder implements OpRecorder {
  readonly names = new Map<Tensor, string>();
  /** dtype and symbolic shape of every value ("batch" and its multiples only with dynamicBatch). */
  readonly types = new Map<string, { dtype: DType; shape: Dim[] }>();
  readonly nodes: GraphNode[] = [];
  readonly captured: { name: string; view: RawView }[] = [];
  private readonly byStorage = new Map<Storage, ViewRecord[]>();
  private counter = 0;
  private constants = 0;
  failure: unknown;

  constructor(
    private readonly paramNames: ReadonlyMap<Tensor, string>,
    private readonly batch: number | undefined,
  ) {}

  /** Registers a graph input. */
  addInput(t: Tensor, name: string): void {
    this.bind(t, name);
    const shape: Dim[] = t.shape;
    if (this.batch !== undefined) shape[0] = BATCH;
    this.types.set(name, { dtype: t.dtype, shape });
  }

  record(op: string, inputs: readonly Tensor[], attrs: Attrs, output: Tensor): void {
    if (this.failure) return;
    try {
      const ins = inputs.map((t) => this.valueOf(t));
      const name = String(++this.counter);
      const [finalAttrs, shape] = this.batch === undefined ? [attrs, output.shape] : this.symbolicOp(op, ins, attrs, output);
      this.nodes.push({ op, inputs: ins, outputs: [name], attrs: finalAttrs });
      this.bind(output, name);
      this.types.set(name, { dtype: output.dtype, shape });
    } catch (err) {
      // Eager code must not see the tracer's errors mid-op; trace() rethrows the first one.
      this.failure = err;
    }
  }

  /** The value name of a tensor: traced already, a parameter/buffer, an alias of a traced value, or a new constant. */
  valueOf(t: Tensor): string {
    const known = this.names.get(t);
    if (known !== undefined) return known;
    const v = t.view;
    const sharing = this.byStorage.get(v.storage);
    if (sharing) {
      const same = sharing.find((r) => sameView(r, v));
      if (!same) {
        throw new PolychipError(
          `trace: tensor ${v.dtype}${formatShape(v.shape)} is a view of a traced value made by an operation the tracer does not record; use the engine's view ops (reshape, permute, slice, expand)`,
        );
      }
      this.names.set(t, same.name);
      return same.name;
    }
    const name = this.paramNames.get(t) ?? `const${this.constants++}`;
    this.captured.push({ name, view: shareView(v, v) });
    this.bind(t, name);
    this.types.set(name, { dtype: t.dtype, shape: t.shape });
    return name;
  }

  private bind(t: Tensor, name: string): void {
    this.names.set(t, name);
    const v = t.view;
    const list = this.byStorage.get(v.storage) ?? [];
    list.push({ name, dtype: v.dtype, shape: [...v.shape], strides: [...v.strides], offset: v.offset });
    this.byStorage.set(v.storage, list);
  }

  /** Attributes rewritten so the node works for any batch size, and the output's symbolic shape. */
  private symbolicOp(op: string, ins: string[], attrs: Attrs, output: Tensor): [Attrs, Dim[]] {
    const shapes = ins.map((n) => this.types.get(n)!.shape);
    const x = shapes[0];
    const out = output.shape;
    const hasBatch = shapes.some((s) => s.some(isBatchDim));
    if (!hasBatch) return [attrs, out];
    const B = this.batch!;
    switch (op) {
      case "identity":
        return [attrs, [...x!]];
      case "permute":
        return [attrs, (attrs.dims as number[]).map((d) => x![d]!)];
      case "reshape":
        return this.symbolicReshape(x!, out);
      case "slice": {
        const [axis] = attrs.axes as number[];
        const factor = batchFactor(x![axis!]!);
        if (factor === undefined) return [attrs, x!.map((d, i) => (i === axis ? out[i]! : d))];
        const [start] = attrs.starts as number[];
        const [end] = attrs.ends as number[];
        const [step] = attrs.steps as number[];
        const size = factor * B;
        if (!((start === 0 || start === -size) && end! >= size && step === 1)) {
          throw new ShapeError(`trace(dynamicBatch): slicing part of the batch dim (${start}:${end}:${step} of ${size}) cannot work for every batch size`);
        }
        return [{ ...attrs, starts: [0], ends: [TO_END] }, [...x!]];
      }
      case "expand": {
        const target = attrs.shape as number[];
        const lead = target.length - x!.length;
        const dims: Dim[] = target.map((d, i) => (i >= lead && isBatchDim(x![i - lead]!) ? x![i - lead]! : d));
        // Bidirectional broadcasting keeps the input's dim where the target says 1.
        return [{ ...attrs, shape: target.map((d, i) => (isBatchDim(dims[i]!) ? 1 : d)) }, dims];
      }
      default:
        return [attrs, this.symbolicHal(op, ins, attrs, out)];
    }
  }

  /** A HAL op's output dims that follow the batch: infer once more with another batch size and compare. */
  private symbolicHal(op: string, ins: readonly string[], attrs: Attrs, out: number[]): Dim[] {
    const B = this.batch!;
    const B2 = B + 1;
    const metas: TensorMeta[] = ins.map((n) => {
      const { dtype, shape } = this.types.get(n)!;
      return { dtype, shape: shape.map((d) => (batchFactor(d) ?? 0) * B2 || (d as number)) };
    });
    let other: readonly number[];
    try {
      other = getOp(op).infer(metas, attrs)[0]!.shape;
    } catch (err) {
      throw new ShapeError(`trace(dynamicBatch): ${op} does not work for another batch size (${(err as Error).message}); trace without dynamicBatch`);
    }
    return out.map((d, i) => {
      if (other[i] === d) return d;
      const k = d / B;
      if (Number.isInteger(k) && other[i] === k * B2) return batchDim(k);
      throw new ShapeError(`trace(dynamicBatch): dim ${i} of ${op}'s output (${d}) depends on the batch size in a way a graph cannot express`);
    });
  }

  /**
   * Where the batch goes in a reshape: the one output dim that is the batch times a whole number
   * while the other dims divide the elements per batch item (so -1 there works for every batch
   * size). That covers merging ([batch, 8, 16] → [batch*8, 16]) and splitting back. 0 keeps a dim
   * that stays in place. When several dims could hold it (a batch size that divides the model's
   * dims), the one in place wins, except with an example batch of 1, where every dim could: then
   * the trace is refused rather than guessed.
   */
  private symbolicReshape(x: Dim[], out: number[]): [Attrs, Dim[]] {
    const B = this.batch!;
    const carriers = x.flatMap((d, i) => (isBatchDim(d) ? [i] : []));
    if (carriers.length > 1) throw new ShapeError(`trace(dynamicBatch): reshape of a value with several batch dims ${JSON.stringify(x)}`);
    const from = carriers[0]!;
    const f = batchFactor(x[from]!)!;
    const perItem = f * sizeOf(x.filter((_, i) => i !== from) as number[]);
    const candidates = out.flatMap((d, j) => {
      const others = sizeOf(out.filter((_, i) => i !== j));
      return others > 0 && perItem % others === 0 && d === (B * perItem) / others ? [j] : [];
    });
    if (candidates.length === 0)
      throw new ShapeError(`trace(dynamicBatch): reshape from ${JSON.stringify(x)} to ${formatShape(out)} mixes the batch with other dims`);
    // The batch staying as it was is the old, unambiguous case; with an example batch of 1 any dim could hold it.
    const stays = candidates.includes(from) && out[from] === f * B;
    const to = stays ? from : candidates.length === 1 ? candidates[0]! : B > 1 && candidates.includes(from) ? from : -1;
    if (to < 0) {
      throw new ShapeError(
        `trace(dynamicBatch): reshape from ${JSON.stringify(x)} to ${formatShape(out)} could put the batch in dims ${candidates.join(" or ")}; trace with another example batch size (one that divides none of the model's dims, such as 3 or 7)`,
      );
    }
    const g = out[to]! / B;
    const shape = out.map((d, i) => (i === to ? (to === from && g === f ? 0 : -1) : d));
    return [{ shape }, out.map((d, i) => (i === to ? batchDim(g) : d))];
  }
}

function defaultNames(prefix: string, n: number, given?: readonly string[]): string[] {
  if (given) {
    if (given.length !== n) throw new PolychipError(`trace: ${given.length} ${prefix} names for ${n} ${prefix}s`);
    return [...given];
  }
  return n === 1 ? [prefix] : Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/**
 * Runs `target` once on `exampleInputs` (in eval mode, without autograd) and captures every op it
 * runs as a graph. Parameters and buffers become initializers named by their module path
 * ("0.weight"); other tensors read from outside become initializers "const0", "const1", ...
 */
export async function trace(target: Traceable, exampleInputs: readonly Tensor[], options: TraceOptions = {}): Promise<Graph> {
  if (activeRecorder()) throw new PolychipError("trace: already tracing (traces do not nest)");
  const module = target instanceof Module ? target : undefined;
  const forward = module ? (...xs: Tensor[]) => module.forward(...xs) : (target as (...xs: Tensor[]) => Tensor | readonly Tensor[]);
  const params = new Map<Tensor, string>(module ? [...module.namedParameters(), ...module.namedBuffers()].map(([n, t]) => [t, n]) : []);
  let batch: number | undefined;
  if (options.dynamicBatch) {
    if (exampleInputs.some((t) => t.ndim === 0)) throw new ShapeError("trace(dynamicBatch): every input needs a leading batch dim");
    batch = exampleInputs[0]?.shape[0];
    if (exampleInputs.some((t) => t.shape[0] !== batch))
      throw new ShapeError(`trace(dynamicBatch): inputs disagree on the batch size (${exampleInputs.map((t) => t.shape[0]).join(", ")})`);
  }
  const recorder = new GraphRecorder(params, batch);
  const inputNames = defaultNames("input", exampleInputs.length, options.inputNames);
  exampleInputs.forEach((t, i) => {
    if (recorder.names.has(t)) throw new PolychipError(`trace: the same tensor is passed as inputs ${recorder.names.get(t)} and ${inputNames[i]}`);
    recorder.addInput(t, inputNames[i]!);
  });
  const wasTraining = module?.training;
  module?.eval();
  setRecorder(recorder);
  let outputs: Tensor[] = [];
  try {
    let resultNames: string[];
    try {
      outputs = tidy(() => {
        const result = noGrad(() => forward(...exampleInputs));
        return Array.isArray(result) ? [...result] : [result as Tensor];
      });
      if (recorder.failure) throw recorder.failure;
      resultNames = outputs.map((t) => recorder.valueOf(t));
    } finally {
      setRecorder(undefined);
      if (module && wasTraining) module.train(true);
    }
    const outputNames = defaultNames("output", outputs.length, options.outputNames);
    const graph = assemble(recorder, inputNames, resultNames, outputNames, await readInitializers(recorder), options);
    return deadCodeElimination(graph);
  } finally {
    for (const t of outputs) if (!exampleInputs.includes(t)) t.dispose();
    for (const c of recorder.captured) c.view.storage.release();
  }
}

async function readInitializers(recorder: GraphRecorder): Promise<Initializer[]> {
  const out: Initializer[] = [];
  for (const { name, view } of recorder.captured) {
    const data = decodeHost(await readView(view), view.dtype, sizeOf(view.shape));
    out.push({ name, dtype: view.dtype, shape: [...view.shape], data });
  }
  return out;
}

/** Gives the results their output names: the producing node is renamed when it can be, else an identity is added. */
export function assemble(
  recorder: GraphRecorder,
  inputNames: string[],
  resultNames: string[],
  outputNames: string[],
  initializers: Initializer[],
  options: TraceOptions,
): Graph {
  const taken = new Set([...inputNames, ...initializers.map((i) => i.name), ...recorder.nodes.flatMap((n) => n.outputs)]);
  const produced = new Set(recorder.nodes.flatMap((n) => n.outputs));
  const rename = new Map<string, string>();
  const extra: GraphNode[] = [];
  resultNames.forEach((value, i) => {
    const wanted = outputNames[i]!;
    if (taken.has(wanted) && !(rename.get(value) === wanted)) throw new PolychipError(`trace: output name '${wanted}' is already used by a value of the graph`);
    if (produced.has(value) && !rename.has(value)) rename.set(value, wanted);
    else extra.push({ op: "identity", inputs: [rename.get(value) ?? value], outputs: [wanted], attrs: {} });
    taken.add(wanted);
  });
  const r = (n: string) => rename.get(n) ?? n;
  const nodes = [...recorder.nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) })), ...extra];
  const info = (value: string, name: string): ValueInfo => ({ name, ...recorder.types.get(value)! });
  return {
    name: options.name ?? "model",
    inputs: inputNames.map((n) => info(n, n)),
    outputs: resultNames.map((value, i) => info(value, outputNames[i]!)),
    nodes,
    initializers,
    metadata: { producer: "polychip trace", ...options.metadata },
  };
}
