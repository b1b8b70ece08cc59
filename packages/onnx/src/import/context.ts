import {
  hostArray,
  shapeValueOf,
  DTypeError,
  FormatError,
  hasOp,
  isFloat,
  PolychipError,
  ShapeError,
  sizeOf,
  UnsupportedOpError,
  type Attrs,
  type DType,
  type HostArray,
} from "@polychip/hal";
import type { GraphNode, Initializer } from "@polychip/engine/runtime";
import { evalHalOnCpu } from "../host/fold.ts";
import { formatDims, isStatic, sizeOfDims, type Dim, type ValueMeta } from "../host/meta.ts";
import { evalStructural, inferStructural, unknownDim } from "../host/structural.ts";
import type { ValueLayout } from "../containers.ts";
import type { GraphProto, TensorProto } from "../proto/types.ts";
import { tensorFromProto, type HostTensor } from "../tensor.ts";
import type { StringTensor } from "../strings.ts";
import type { NodeAttributes } from "./attributes.ts";
import { checkTensorBudget, type MemoryBudget } from "./budget.ts";
import type { DecodedTensor, SharedConstants } from "./shared-constants.ts";
import { inferWithSymbols } from "./symbolic-infer.ts";

/** A value an earlier stage or host step of this run computed: a tensor (a run-time input of this import) or, dtype "string", STRING values kept on the host. */
export interface FedMeta {
  readonly dtype: DType | "string";
  readonly shape: readonly number[];
}

export interface ImportOptions {
  /**
   * Called when a lowering needs the value of a graph input while importing (a Reshape whose
   * target shape is fed as an input, a Pad whose pads are): return the value to freeze that input
   * into the graph as a constant, or undefined to refuse the model.
   */
  resolveInput?: (name: string) => HostTensor | undefined;
  /**
   * Concrete shapes for graph inputs: they bind the declared symbolic dims (and must agree with
   * the fixed ones), so every shape in the graph is known and shape arithmetic folds at import;
   * an input declared with no shape at all needs one. OnnxSession imports once per signature.
   */
  inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Largest tensor (elements) computed at import time by constant folding. Default 1 << 20. */
  foldLimit?: number;
  /**
   * Values of named ONNX values computed elsewhere for this run (by running a prefix of the
   * model): each replaces the value its node produced, so lowerings that need it (an If's
   * condition, Range's bounds) can read it. OnnxSession fills this in.
   */
  knownValues?: Readonly<Record<string, HostTensor>>;
  /**
   * The values of the model's STRING graph inputs: strings stay on the host, so the string ops
   * reading them run at import.
   */
  strings?: Readonly<Record<string, StringTensor>>;
  /**
   * The shapes of STRING graph inputs whose values only a run knows (OnnxSession, with
   * computesRunTimeValues): the string ops reading them run as host steps per run
   * (string-host-steps.ts), so one plan serves every value of these shapes.
   */
  stringShapes?: Readonly<Record<string, readonly number[]>>;
  /**
   * The caller computes the values a lowering asks for per run (OnnxSession does): then lowerings
   * that could leave a small value to run time but plan better with it known (Expand's target,
   * whose sizes then become static) ask for it too.
   */
  computesRunTimeValues?: boolean;
  /** Import only up to these values and make them the graph's outputs (a prefix of the model). */
  outputs?: readonly string[];
  /**
   * Top-level ONNX nodes (indices into the graph's node list) an earlier stage of this run already
   * ran: they are not lowered again. Their outputs that later nodes read come from `knownValues`
   * (as constants) or `fed` (as run-time inputs).
   */
  done?: ReadonlySet<number>;
  /** Values an earlier stage of this run computed, read as run-time graph inputs (see `done`). */
  fed?: Readonly<Record<string, FedMeta>>;
  /**
   * The structure of each sequence or optional graph input for this import (its length, whether
   * it is present; see containers.ts): its tensors are graph inputs under path names, their shapes
   * in `inputShapes`. OnnxSession and the conformance runner take it from the values given.
   */
  inputLayouts?: Readonly<Record<string, ValueLayout>>;
  /** What the graph may plan to allocate (one tensor, the peak of a run); beyond it an OutOfMemoryError names the node. */
  memoryBudget?: MemoryBudget;
  /**
   * Decoded initializers and weight folds kept across imports of the same model (OnnxSession
   * passes one per session): a later import reuses them instead of decoding and folding again.
   */
  shared?: SharedConstants;
}

/**
 * OnnxSession remembers a prefix's results by the values of the inputs it reads when they are at
 * most this many (a flag, a sample rate; not audio): a value computed from those alone costs no
 * prefix run after the first.
 */
export const REMEMBERED_INPUT_VALUES = 64;

/** One ONNX node as the lowerings see it. */
export interface OnnxNode {
  readonly opType: string;
  readonly domain: string;
  /** The opset version of the node's domain the model declares: the version whose semantics apply. */
  readonly opset: number;
  readonly name: string;
  /** Input names; "" marks an absent optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: NodeAttributes;
}

/**
 * A sequence or optional value, known at import: a sequence is the list of its elements' value
 * names (its length fixed per plan), an optional the name of the value it holds or undefined.
 */
export type Container =
  | { readonly kind: "sequence"; readonly elements: readonly string[]; readonly dtype?: DType }
  | { readonly kind: "optional"; readonly value: string | undefined };

const STRUCTURAL = new Set(["reshape", "permute", "slice", "expand", "squeeze", "unsqueeze", "flatten", "identity", "constant", "shape", "size", "split"]);
/** preferConstant asks for values of at most this many elements (a shape, not data). */
const PREFERRED_VALUE_SIZE = 16;
const RANDOM = new Set(["randomUniform", "randomNormal"]);
/** Ops that only move values: int64 constants saturated to int32 (INT64_MAX as "to the end") may pass through them. */
const MOVES = new Set([...STRUCTURAL, "concat", "gather", "cast", "copy"]);

/**
 * The state of one ONNX import: values with what is known about them (dtype, shape, constant
 * value), the graph nodes emitted so far, and helpers the op lowerings use. Values whose inputs
 * are all constant are folded at import time and only reach the graph (as initializers) when a
 * run-time node uses them.
 */
export class ImportContext {
  readonly nodes: GraphNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly frozenInputs = new Set<string>();
  private readonly metas = new Map<string, ValueMeta>();
  private readonly containers = new Map<string, Container>();
  private readonly consts = new Map<string, HostTensor>();
  /** STRING values known at import (see strings.ts). */
  private readonly strings = new Map<string, StringTensor>();
  /** STRING values only a run knows: the host value each is (a STRING graph input or a host step's result) and its shape. */
  private readonly deferredStrings = new Map<string, { readonly source: string; readonly shape: readonly number[] }>();
  /** The sources of deferred STRING values a Loop or Scan body computed: they may differ per iteration. */
  private readonly perIterationStrings = new Set<string>();
  private readonly materialized = new Set<string>();
  /** Constants whose int64 values were saturated into int32: fine as slice bounds, wrong as data. */
  private readonly saturated = new Set<string>();
  private readonly graphInputs = new Set<string>();
  private readonly computedInputs = new Set<string>();
  private readonly used = new Set<string>();
  private counter = 0;
  private readonly producers = new Map<string, GraphNode>();
  /** Shape values computed at run time whose entries the import knows, symbols included (HAL shape-values.ts). */
  private readonly shapeValues = new Map<string, readonly Dim[]>();
  /** Why each fresh dim of this import is known only at run time, for the error that meets it. */
  private readonly dimOrigins = new Map<string, string>();
  /** How many ONNX nodes (and graph outputs) read each ONNX value: lets a lowering fuse a pattern safely. */
  onnxUses: ReadonlyMap<string, number> = new Map();
  /** The node being lowered, for error messages and names. */
  current: OnnxNode | undefined;
  /**
   * The ONNX element types the model declares (graph inputs and outputs, value_info,
   * initializers), by value name: the HAL dtype hides some (uint16 is held in int32), which
   * bitwise lowerings need to know.
   */
  readonly declaredTypes = new Map<string, number>();
  /** How many subgraph nodes have been inlined (If, Loop and Scan bodies), to bound unrolling. */
  inlinedNodes = 0;
  /** How many inlined Loop or Scan bodies enclose the node being lowered (If branches not counted). */
  loopBodies = 0;
  /** Inside an inlined subgraph: the ONNX names of its values → names in this graph. */
  scope: ReadonlyMap<string, string> = new Map();
  /** Lowers a subgraph into this graph (set by the importer); returns its outputs' values. */
  inlineSubgraph: (body: GraphProto, bindings: ReadonlyMap<string, string>) => string[] = () => {
    throw new UnsupportedOpError(`${this.where()}: subgraphs cannot be lowered here`);
  };

  constructor(private readonly options: ImportOptions = {}) {}

  /** The values a prefix import stops at (ImportOptions.outputs), or undefined for a whole model. */
  get prefixOutputs(): readonly string[] | undefined {
    return this.options.outputs;
  }

  /**
   * Whether a top-level op sized by data runs its host part per run (OnnxSession computes the
   * values it reads; see host-step.ts) instead of asking for them with requireConstant.
   */
  /** Whether OnnxSession computes per run the values this import needs (ImportOptions.computesRunTimeValues). */
  get computesRunTimeValues(): boolean {
    return !!this.options.computesRunTimeValues;
  }

  get runsHostSteps(): boolean {
    return !!this.options.computesRunTimeValues && this.scope.size === 0;
  }

  /**
   * Whether a data-sized op that reads `names` (values only a run knows) runs its host part per
   * run: at the top level or in an inlined If branch (inlined once per import, so a value it
   * computes has the same name in the imports of one run), or in a Loop/Scan body when each of
   * them is a value of the top-level graph (the same in every iteration; a value the body
   * computes, or a loop-carried one, differs per iteration).
   */
  runsHostStepOn(names: readonly string[]): boolean {
    if (this.runsHostSteps) return true;
    if (!this.computesRunTimeValues) return false;
    if (this.loopBodies === 0) return true;
    const inner = new Set(this.scope.values());
    return names.every((name) => !inner.has(name));
  }

  /** The dtype and shape of a value an earlier stage of this run computed (ImportOptions.fed), when given. */
  fedMeta(name: string): FedMeta | undefined {
    return this.options.fed?.[name];
  }

  /** What this import shares with the model's other imports (ImportOptions.shared). */
  get shared(): SharedConstants | undefined {
    return this.options.shared;
  }

  // ---- values ----

  /** Declares a run-time graph input; `computed` when a host step or an earlier stage computes it from the model's values. */
  declareInput(name: string, meta: ValueMeta, computed = false): void {
    this.claim(name);
    this.metas.set(name, meta);
    this.graphInputs.add(name);
    if (computed) this.computedInputs.add(name);
  }

  /** True for a run-time input the model declares (not one frozen into a constant, nor a host step's result fed back). */
  isModelInput(name: string): boolean {
    return this.graphInputs.has(name) && !this.computedInputs.has(name) && !this.consts.has(name);
  }

  /** Declares a known value (initializer, Constant output, folded result). */
  declareConstant(name: string, t: HostTensor, saturated = false): void {
    this.claim(name);
    if (saturated) this.saturated.add(name);
    this.consts.set(name, t);
    this.metas.set(name, { dtype: t.dtype, shape: [...t.shape] });
  }

  /** Declares a sequence or optional value (see Container). */
  declareContainer(name: string, container: Container): void {
    this.claim(name);
    this.containers.set(name, container);
  }

  /** Declares a STRING value (initializer, Constant, string input, a string op's result). */
  declareString(name: string, t: StringTensor): void {
    this.claim(name);
    this.strings.set(name, t);
  }

  /** Declares a STRING value only a run knows: the host value `source` (a STRING graph input, a host step's result) of this shape. */
  declareDeferredString(name: string, source: string, shape: readonly number[]): void {
    this.claim(name);
    this.deferredStrings.set(name, { source, shape: [...shape] });
    if (name === source && this.loopBodies > 0) this.perIterationStrings.add(source);
  }

  /** Whether a deferred STRING value's source was computed in a Loop or Scan body (so it may differ per iteration). */
  computedPerIteration(source: string): boolean {
    return this.perIterationStrings.has(source);
  }

  /** Where a STRING value only a run knows comes from, or undefined for other values. */
  deferredString(name: string | undefined): { readonly source: string; readonly shape: readonly number[] } | undefined {
    return name ? this.deferredStrings.get(name) : undefined;
  }

  /** The STRING value `name` when the import knows it (not one only a run knows). */
  knownString(name: string | undefined): StringTensor | undefined {
    return name ? this.strings.get(name) : undefined;
  }

  /** The value given for a STRING graph input (ImportOptions.strings). */
  stringInput(name: string): StringTensor | undefined {
    return this.options.strings?.[name];
  }

  /** The shape of a STRING graph input whose value only a run gives (ImportOptions.stringShapes). */
  stringInputShape(name: string): readonly number[] | undefined {
    return this.options.stringShapes?.[name];
  }

  /** The STRING values the import computed, by name (graph outputs among them are returned as they are). */
  stringValues(): ReadonlyMap<string, StringTensor> {
    return this.strings;
  }

  isString(name: string | undefined): boolean {
    return !!name && (this.strings.has(name) || this.deferredStrings.has(name));
  }

  /** The STRING value `name`; a clear error when `name` is a number tensor. */
  stringValue(name: string): StringTensor {
    const t = this.strings.get(name);
    if (t) return t;
    if (this.deferredStrings.has(name))
      throw new UnsupportedOpError(`${this.where()}: '${name}' is a STRING value only a run knows, where this op needs it at import`);
    if (this.metas.has(name)) throw new DTypeError(`${this.where()}: '${name}' is ${this.metas.get(name)!.dtype}, where this op expects a STRING tensor`);
    return this.meta(name) as never;
  }

  /** The sequence or optional value `name`, or undefined for a tensor. */
  container(name: string): Container | undefined {
    return this.containers.get(name);
  }

  private claim(name: string): void {
    if (this.used.has(name) && this.has(name)) throw new FormatError(`value '${name}' is produced twice (ONNX graphs are in SSA form)`);
    this.used.add(name);
  }

  /** Reserves the names the model uses so generated names never collide with them. */
  reserve(names: Iterable<string>): void {
    for (const n of names) if (n) this.used.add(n);
  }

  has(name: string | undefined): name is string {
    return !!name && (this.metas.has(name) || this.containers.has(name) || this.strings.has(name) || this.deferredStrings.has(name));
  }

  meta(name: string): ValueMeta {
    const m = this.metas.get(name);
    const c = m ? undefined : this.containers.get(name);
    if (c) throw new FormatError(`${this.where()}: '${name}' is ${c.kind === "sequence" ? "a sequence" : "an optional"}, where a tensor is expected`);
    if (!m && this.isString(name))
      throw new DTypeError(
        `${this.where()}: '${name}' is a STRING tensor; this op takes numbers only (Polychip computes strings on the host, with the string ops)`,
      );
    if (!m) throw new FormatError(`${this.where()}: input '${name}' is not produced by any earlier node, initializer or graph input`);
    return m;
  }

  dtype(name: string): DType {
    return this.meta(name).dtype;
  }

  dims(name: string): readonly Dim[] {
    return this.meta(name).shape;
  }

  rank(name: string): number {
    return this.meta(name).shape.length;
  }

  /** The shape, which must be known statically for this lowering. */
  shape(name: string, why = "this lowering"): number[] {
    const s = this.meta(name).shape;
    if (!isStatic(s)) throw new UnsupportedOpError(`${this.where()}: ${why} needs the static shape of '${name}', which is ${formatDims(s)}`);
    return [...s];
  }

  constant(name: string | undefined): HostTensor | undefined {
    return name ? this.consts.get(name) : undefined;
  }

  isConstant(name: string | undefined): boolean {
    return !!name && this.consts.has(name);
  }

  /** Replaces the values just produced under these names with those given in ImportOptions.knownValues. */
  pinKnownValues(names: readonly string[]): void {
    for (const name of names) {
      const t = name ? this.options.knownValues?.[name] : undefined;
      if (!t) continue;
      const m = this.meta(name);
      const value = t.dtype === m.dtype ? t : castHost(t, m.dtype);
      this.detachProducer(name);
      this.consts.set(name, value);
      this.metas.set(name, { dtype: value.dtype, shape: [...value.shape] });
    }
  }

  /**
   * The node that computed `name` at run time now writes a hidden name instead, so the known value
   * (an initializer once a run-time node reads it) is the only definition of `name`; nodes already
   * reading it keep the computed value, and dead-code elimination drops the producer otherwise.
   */
  private detachProducer(name: string): void {
    if (!this.producers.has(name)) return;
    const hidden = this.fresh(name);
    const swap = (names: readonly string[]) => names.map((n) => (n === name ? hidden : n));
    this.nodes.forEach((node, i) => {
      if (!node.outputs.includes(name) && !node.inputs.includes(name)) return;
      const renamed = { ...node, inputs: swap(node.inputs), outputs: swap(node.outputs) };
      this.nodes[i] = renamed;
      for (const o of renamed.outputs) this.producers.set(o, renamed);
    });
    this.producers.delete(name);
    this.metas.set(hidden, this.meta(name));
  }

  /** The value of `name`, which must be known at import time (possibly by freezing a graph input). */
  requireConstant(name: string, why: string): HostTensor {
    const c = this.consts.get(name);
    if (c) return c;
    if (this.graphInputs.has(name) && this.options.resolveInput) {
      const t = this.options.resolveInput(name);
      if (t) {
        const m = this.meta(name);
        const value = t.dtype === m.dtype ? t : castHost(t, m.dtype);
        this.consts.set(name, value);
        this.metas.set(name, { dtype: value.dtype, shape: [...value.shape] });
        this.frozenInputs.add(name);
        return value;
      }
    }
    throw new RunTimeValueError(
      `${this.where()}: ${why} must be known when the model is imported, but '${name}' is ${this.graphInputs.has(name) ? "a graph input" : "computed at run time"} (Polychip lowers ONNX to ops with static attributes; OnnxSession computes such values per run)`,
      name,
      [...this.scope.values()].includes(name),
    );
  }

  /** The value of `name` when it is known or can be frozen; undefined when it is computed at run time. */
  tryConstant(name: string): HostTensor | undefined {
    const c = this.consts.get(name);
    if (c) return c;
    if (!this.graphInputs.has(name) || !this.options.resolveInput) return undefined;
    try {
      return this.requireConstant(name, "");
    } catch {
      return undefined;
    }
  }

  /**
   * The value of `name` when known; when the caller computes run-time values (and it is small),
   * asks for it like requireConstant; otherwise undefined, and the lowering leaves it to run time.
   */
  preferConstant(name: string, why: string): HostTensor | undefined {
    const c = this.consts.get(name);
    if (c || !this.options.computesRunTimeValues) return c;
    const size = sizeOfDims(this.meta(name).shape);
    return size !== undefined && size <= PREFERRED_VALUE_SIZE ? this.requireConstant(name, why) : undefined;
  }

  /** Integer values of a constant input, as plain numbers. */
  ints(name: string, why: string): number[] {
    return Array.from(this.requireConstant(name, why).data as ArrayLike<number>);
  }

  // ---- emitting ----

  /** A fresh value name derived from `base`. */
  fresh(base: string): string {
    let name = `${base}::${++this.counter}`;
    while (this.used.has(name)) name = `${base}::${++this.counter}`;
    this.used.add(name);
    return name;
  }

  private outName(out: string | undefined): string {
    if (out !== undefined) {
      if (this.metas.has(out) || this.containers.has(out)) throw new FormatError(`${this.where()}: output '${out}' is already produced by an earlier node`);
      this.used.add(out);
      return out;
    }
    return this.fresh(this.current?.outputs.find((o) => o) || this.current?.opType || "value");
  }

  /** A new constant value. */
  const(data: HostArray | readonly number[], shape: readonly number[], dtype: DType): string {
    const t = toHost(data, shape, dtype);
    const name = this.fresh(`${this.current?.outputs.find((o) => o) || "const"}`);
    this.consts.set(name, t);
    this.metas.set(name, { dtype, shape: [...shape] });
    return name;
  }

  scalar(value: number, dtype: DType): string {
    return this.const([value], [], dtype);
  }

  /** Emits one op (HAL or structural) with one output and returns the output's name. */
  op(op: string, inputs: readonly string[], attrs: Attrs = {}, out?: string): string {
    return this.opN(op, inputs, attrs, [out])[0]!;
  }

  /** Emits one op with several outputs (split). `outs` entries left undefined get fresh names. */
  opN(op: string, inputs: readonly string[], givenAttrs: Attrs, outs: readonly (string | undefined)[]): string[] {
    const metas = inputs.map((n) => (n === "" ? undefined : this.meta(n)));
    const attrs = op === "reshape" ? literalZeroDims(metas[0], givenAttrs) : givenAttrs;
    const consts = inputs.map((n) => this.consts.get(n));
    const values = inputs.map((n) => this.shapeValue(n));
    const { metas: outMetas, values: outValues } = this.infer(op, inputs, metas, attrs, consts, values, outs.length);
    const names = outs.map((o) => this.outName(o));
    outMetas.forEach((m, i) => checkTensorBudget(this.where(), names[i]!, m, this.options.memoryBudget));
    const foldable = !RANDOM.has(op) && inputs.every((n) => n === "" || this.consts.has(n));
    const total = outMetas.reduce((s, m) => s + (sizeOfDims(m.shape) ?? Infinity), 0);
    const saturatedIn = inputs.find((n) => this.saturated.has(n));
    if (saturatedIn && !MOVES.has(op)) this.refuseSaturated(saturatedIn);
    if (foldable && total <= (this.options.foldLimit ?? 1 << 20)) {
      if (saturatedIn) names.forEach((n) => this.saturated.add(n));
      const ins = inputs.map((n) => this.consts.get(n));
      const shared = this.options.shared;
      const values = shared
        ? shared.fold(op, ins, attrs, outs.length, () => this.evaluate(op, ins, attrs, outs.length))
        : this.evaluate(op, ins, attrs, outs.length);
      values.forEach((v, i) => {
        this.consts.set(names[i]!, v);
        this.metas.set(names[i]!, { dtype: v.dtype, shape: [...v.shape] });
      });
      return names;
    }
    if (!RANDOM.has(op) && this.foldTraced(names, outMetas, outValues)) return names;
    for (const n of inputs) if (n !== "") this.materialize(n);
    const node: GraphNode = { op, inputs: [...inputs], outputs: names, attrs, ...(this.current?.name ? { name: this.current.name } : {}) };
    this.nodes.push(node);
    for (const n of names) this.producers.set(n, node);
    outMetas.forEach((m, i) => this.metas.set(names[i]!, m));
    outValues.forEach((v, i) => v && this.shapeValues.set(names[i]!, v));
    return names;
  }

  /**
   * Outputs whose every entry the shape-value rules traced to a number (Shape(x)[2] where that
   * dim is static, a Where on a decided Equal) are constants: ops that need a constant input
   * (ConstantOfShape, Range, Slice bounds, Pad pads, TopK's k) can read them. True when all were.
   */
  private foldTraced(names: readonly string[], metas: readonly ValueMeta[], values: readonly (readonly Dim[] | undefined)[]): boolean {
    const folded = metas.map((m, i) => {
      const v = values[i];
      if (!v || isFloat(m.dtype) || !isStatic(m.shape) || !v.every((d) => typeof d === "number")) return undefined;
      return v.length === sizeOf(m.shape as number[]) ? toHost(v as number[], m.shape as number[], m.dtype) : undefined;
    });
    if (folded.length === 0 || folded.some((t) => !t)) return false;
    folded.forEach((t, i) => {
      this.consts.set(names[i]!, t!);
      this.metas.set(names[i]!, { dtype: t!.dtype, shape: [...t!.shape] });
    });
    return true;
  }

  /**
   * The entries of a small integer value where the import knows them: a constant's, or those of a
   * shape value computed at run time from symbolic shapes (Shape → Slice/Gather → Concat), the
   * symbols included. The HAL's rules (shape-values.ts, structural-symbolic.ts) compute them.
   */
  shapeValue(name: string | undefined): readonly Dim[] | undefined {
    if (!name) return undefined;
    const c = this.consts.get(name);
    if (!c) return this.shapeValues.get(name);
    return c.shape.length <= 1 && c.data.length <= MAX_SHAPE_VALUE && !isFloat(c.dtype) ? Array.from(c.data as ArrayLike<number>) : undefined;
  }

  /** A fresh symbol for a dim only the run knows, remembering why for the error that may meet it. */
  private freshDim(why: string): string {
    const d = unknownDim();
    this.dimOrigins.set(d, `${this.where()}: ${why}`);
    return d;
  }

  /** What is known about `name`, or undefined when nothing produced it. */
  metaOf(name: string): ValueMeta | undefined {
    return this.metas.get(name);
  }

  /** The graph node that produced `name` (undefined for inputs and constants). */
  producer(name: string): GraphNode | undefined {
    return this.producers.get(name);
  }

  /** Makes ONNX output `out` hold `value` (an identity node, a shared constant, or the same sequence or optional). */
  bind(out: string | undefined, value: string): void {
    if (!out || out === value) return;
    const container = this.containers.get(value);
    if (container) return this.declareContainer(out, container);
    const strings = this.strings.get(value);
    if (strings) return this.declareString(out, strings);
    const deferred = this.deferredStrings.get(value);
    if (deferred) return this.declareDeferredString(out, deferred.source, deferred.shape);
    const c = this.consts.get(value);
    if (c) this.declareConstant(out, c, this.saturated.has(value));
    else this.op("identity", [value], {}, out);
  }

  /** Turns a folded constant into an initializer the graph's nodes can read. */
  materialize(name: string): void {
    const c = this.consts.get(name);
    if (!c || this.materialized.has(name)) return;
    if (this.saturated.has(name)) this.refuseSaturated(name);
    this.materialized.add(name);
    this.initializers.push({ name, dtype: c.dtype, shape: [...c.shape], data: c.data });
  }

  /** True when `name` holds int64 values that were clamped into int32 (only valid as bounds). */
  isSaturated(name: string): boolean {
    return this.saturated.has(name);
  }

  private refuseSaturated(name: string): never {
    throw new DTypeError(`${this.where()}: '${name}' holds int64 values outside the int32 range, which Polychip accepts only as slice bounds`);
  }

  /** A tensor of the model (initializer, Constant value) decoded, int64 values saturated into int32; shared across imports when ImportOptions.shared is set. */
  decode(t: TensorProto, what: string): DecodedTensor {
    if (this.options.shared) return this.options.shared.tensor(t, what);
    let saturated = false;
    const value = tensorFromProto(t, what, { clampInt: true, onClamp: () => (saturated = true) });
    return { value, saturated };
  }

  /** Where we are, for error messages: the ONNX node's type, name and opset. */
  where(): string {
    const n = this.current;
    if (!n) return "ONNX graph";
    return `ONNX node ${n.name ? `'${n.name}' ` : ""}(${n.domain ? `${n.domain}.` : ""}${n.opType}, opset ${n.opset})`;
  }

  private evaluate(op: string, inputs: (HostTensor | undefined)[], attrs: Attrs, outputs: number): HostTensor[] {
    if (STRUCTURAL.has(op)) {
      // Absent optional inputs ("") of structural ops stay absent.
      return evalStructural(op, inputs, attrs, outputs);
    }
    return evalHalOnCpu(op, inputs as HostTensor[], attrs);
  }

  private infer(
    op: string,
    inputs: readonly string[],
    ins: (ValueMeta | undefined)[],
    attrs: Attrs,
    consts: (HostTensor | undefined)[],
    values: (readonly Dim[] | undefined)[],
    outputs: number,
  ): { metas: ValueMeta[]; values: (readonly Dim[] | undefined)[] } {
    // A structural op's arguments only a run gives (a reshape target read from data): the dims they size are fresh.
    const runTimeArgs = STRUCTURAL.has(op) ? inputs.filter((n, i) => i > 0 && n && !consts[i] && !values[i]) : [];
    const readAtRunTime = runTimeArgs.map((n) => `'${n}' (${this.isModelInput(n) ? "a graph input" : "computed at run time"})`).join(", ");
    try {
      if (STRUCTURAL.has(op)) {
        const fresh = (what: string) => this.freshDim(readAtRunTime ? `${what}: ${readAtRunTime}` : what);
        const out = inferStructural(op, ins, attrs, consts, outputs, { values, fresh });
        return { metas: out.map((m) => ({ dtype: m.dtype, shape: m.shape })), values: out.map((m) => m.values) };
      }
      if (!hasOp(op)) throw new UnsupportedOpError(`${this.where()}: lowering produced unknown op '${op}'`);
      const metas = inferWithSymbols(op, ins as ValueMeta[], attrs);
      const value =
        metas.length === 1
          ? shapeValueOf(
              op,
              ins.map((m, i) => m && { shape: m.shape, values: values[i] }),
              attrs,
              (what) => this.freshDim(what),
            )
          : undefined;
      return { metas, values: [value] };
    } catch (err) {
      if (err instanceof PolychipError && !err.message.startsWith("ONNX node")) {
        const Cls = err.constructor as new (m: string) => PolychipError;
        const fromData = readAtRunTime && / at run time/.test(err.message) ? ` (${readAtRunTime}; ${ONNX_SESSION_NOTE})` : "";
        throw new Cls(`${this.where()}: ${err.message}${fromData}${this.originsOf(err.message)}`);
      }
      throw err;
    }
  }

  /** Where the fresh dims a message names come from, as a sentence to append, or "" when it names none. */
  private originsOf(message: string): string {
    const named = [...new Set(message.match(/\?\d+/g) ?? [])].filter((d) => this.dimOrigins.has(d));
    if (named.length === 0) return "";
    return `; ${named.map((d) => `${d} is ${this.dimOrigins.get(d)}`).join("; ")} (${ONNX_SESSION_NOTE})`;
  }
}

/** What a plain import suggests when a value only a run gives sizes a dim. */
const ONNX_SESSION_NOTE = "OnnxSession binds the input shapes and computes such values per run, so the plan sees the real dims";

/** The longest constant read as a shape value (a shape has at most this many dims). */
const MAX_SHAPE_VALUE = 64;

/**
 * A reshape of a value with no elements to a listed target: the lowerings list the sizes they
 * computed, so a 0 there is a zero-size dim ([0, 3] → [0, 3]), never ONNX's "copy the input dim",
 * which would make [2, 0] → [0, 2] ask for [2, 2]. (The Reshape importer resolves its own 0s first.)
 */
function literalZeroDims(x: ValueMeta | undefined, attrs: Attrs): Attrs {
  const target = attrs.shape;
  if (attrs.allowZero || !Array.isArray(target) || !target.includes(0) || !x || sizeOfDims(x.shape) !== 0) return attrs;
  return { ...attrs, allowZero: true };
}

/**
 * A lowering needs a value only a run can compute (an If's condition on data, Range's bounds from
 * an input): `value` names it. OnnxSession catches this, computes the value by running the
 * model's prefix, and imports again with it known.
 */
export class RunTimeValueError extends UnsupportedOpError {
  constructor(
    message: string,
    readonly value: string,
    /** `value` was produced inside an inlined If branch or Loop/Scan body (under an import-time name). */
    readonly inlined = false,
  ) {
    super(message);
  }
}

export function toHost(data: HostArray | readonly number[], shape: readonly number[], dtype: DType): HostTensor {
  if (data.length !== sizeOf(shape)) throw new ShapeError(`constant: ${data.length} values do not fill shape [${shape.join(", ")}]`);
  const arr = hostArray(dtype, data.length);
  arr.set(data as ArrayLike<number>);
  return { dtype, shape: [...shape], data: arr };
}

/** A host tensor converted to another dtype (freezing an input given in a wider type). */
export function castHost(t: HostTensor, dtype: DType): HostTensor {
  if (!isFloat(dtype) && isFloat(t.dtype)) throw new DTypeError(`cannot use ${t.dtype} values where ${dtype} is expected`);
  return toHost(t.data, t.shape, dtype);
}
